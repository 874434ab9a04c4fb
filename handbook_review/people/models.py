"""Who takes part in a review: users, the jurisdictions and organisations they speak for, roles."""

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The three roles; each is a Django group carrying model permissions (see migrations)."""

    COUNTERPART = "Counterpart", _("Counterpart")
    EDITOR = "Editor", _("Editor")
    ADMINISTRATOR = "Administrator", _("Administrator")


class Agency(models.TextChoices):
    BORDER_POLICE = "border_police", _("Border police")
    CUSTOMS = "customs", _("Customs")
    OTHER = "other", _("Other")


# The jurisdictions of the first review, as the data migration creates them.
JURISDICTIONS = [
    ("AL", "Albania", "country"),
    ("BA", "Bosnia and Herzegovina", "country"),
    ("XK", "Kosovo", "country"),
    ("ME", "Montenegro", "country"),
    ("MK", "North Macedonia", "country"),
    ("RS", "Serbia", "country"),
    ("FRONTEX", "FRONTEX", "organisation"),
    ("SEESAC", "SEESAC", "organisation"),
]


class Jurisdiction(models.Model):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("Reviewing jurisdiction")
        ORGANISATION = "organisation", _("Editing organisation")

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COUNTRY)

    class Meta:
        ordering: ClassVar = ["kind", "name"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with their e-mail address; speaks for one jurisdiction and agency."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("full name"), max_length=150)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    agency = models.CharField(
        _("agency"), max_length=20, choices=Agency.choices, default=Agency.OTHER
    )
    # Part of the session hash: raising it ends every session of the user ("log out everywhere").
    session_epoch = models.PositiveIntegerField(_("session epoch"), default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Epoch 0 keeps Django's own hash, so the sessions open before this field existed stay.
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "handbook_review.people.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_sessions(self) -> None:
        """End every session of this user, on every device: each is checked against the session
        hash on its next request and finds it changed."""
        User.objects.filter(pk=self.pk).update(session_epoch=models.F("session_epoch") + 1)
        self.refresh_from_db(fields=["session_epoch"])

    @property
    def affiliation(self) -> str:
        """ "Serbia, Border police": how a comment or a version credits its author."""
        if self.jurisdiction_id is None:
            return self.get_agency_display()
        return f"{self.jurisdiction}, {self.get_agency_display()}"

    def set_role(self, role: Role) -> None:
        """Make `role` the user's only role (an administrator is also staff, for the admin)."""
        self.groups.set([Group.objects.get(name=role.value)])
        if self.is_staff != (role == Role.ADMINISTRATOR):
            self.is_staff = role == Role.ADMINISTRATOR
            self.save(update_fields=["is_staff"])

    @property
    def role(self) -> Role | None:
        names = {group.name for group in self.groups.all()}
        for role in (Role.ADMINISTRATOR, Role.EDITOR, Role.COUNTERPART):
            if role.value in names:
                return role
        return None
