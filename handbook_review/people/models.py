"""Who takes part in a review: users, the jurisdictions and organisations they speak for, roles."""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from handbook_review import clock


class Role(models.TextChoices):
    """The roles; each is a Django group carrying model permissions (people/roles.py).

    A coordinator is a counterpart who also speaks for their jurisdiction: consolidates its
    officers' comments and casts its vote on each chapter (one or more per jurisdiction).
    """

    COUNTERPART = "Counterpart", _("Counterpart")
    COORDINATOR = "Coordinator", _("Coordinator")
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
    # The interface language the person chose (any device, and their e-mails); blank: not chosen
    # yet, so the browser's Accept-Language decides pages and English the e-mails.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES
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

    @property
    def affiliation(self) -> str:
        """ "Serbia, Border police": how a comment or a version credits its author."""
        if self.jurisdiction_id is None:
            return self.get_agency_display()
        return f"{self.jurisdiction}, {self.get_agency_display()}"

    @property
    def role(self) -> Role | None:
        return role_of({group.name for group in self.groups.all()})


def role_of(group_names: set[str]) -> Role | None:
    """The highest role among a user's group names."""
    for role in (Role.ADMINISTRATOR, Role.EDITOR, Role.COORDINATOR, Role.COUNTERPART):
        if role.value in group_names:
            return role
    return None


# --- The audit log


class AuditLogImmutable(Exception):
    """The audit log is append-only: nothing may change or remove an event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("The audit log cannot be changed.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditLogImmutable("The audit log cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("The audit log cannot be deleted.")


class AuditEvent(models.Model):
    """Who did what to whose account, when, from where: written once, never changed.

    The database refuses UPDATE and DELETE too (see the migration), except the one update a
    deleted account needs: its foreign keys become NULL, the labels keep who it was.
    Write events with `handbook_review.people.audit.record`.
    """

    class Action(models.TextChoices):
        USER_CREATED = "user_created", _("user created")
        USER_CHANGED = "user_changed", _("name, e-mail or superuser status changed")
        USER_DELETED = "user_deleted", _("user deleted")
        ROLE_CHANGED = "role_changed", _("role changed")
        JURISDICTION_CHANGED = "jurisdiction_changed", _("jurisdiction changed")
        AGENCY_CHANGED = "agency_changed", _("agency changed")
        ACTIVATED = "activated", _("activated")
        DEACTIVATED = "deactivated", _("deactivated")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("two-factor authentication enabled")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("two-factor authentication disabled")
        RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", _("recovery codes regenerated")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("login failed")
        LOCKED_OUT = "locked_out", _("locked out")
        UNLOCKED = "unlocked", _("unlocked")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        PASSWORD_RESET_SENT = "password_reset_sent", _("invitation or password-reset link sent")
        SESSIONS_ENDED = "sessions_ended", _("sessions ended")

    class Source(models.TextChoices):
        ADMIN = "admin", _("admin")
        BULK_ACTION = "bulk action", _("bulk action")
        COMMAND = "command", _("command")
        WEB = "web", _("web")

    at = models.DateTimeField(_("at"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor (as recorded)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    target = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    target_label = models.CharField(_("user (as recorded)"), max_length=254, blank=True)
    changes = models.JSONField(
        _("changes"), default=dict, blank=True, help_text=_('{"field": [old, new]}')
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutable("The audit log cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("The audit log cannot be deleted.")
