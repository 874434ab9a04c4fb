"""Published editions: immutable snapshots of the exact chapter versions of a handbook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chapters.models.handbooks import Chapter, Handbook, Language, rendered_html
from handbook_review import clock

if TYPE_CHECKING:
    pass


class EditionImmutable(Exception):
    """A published edition is a record: nothing may change or remove it."""


class ImmutableQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise EditionImmutable("A published edition cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise EditionImmutable("A published edition cannot be deleted.")


class Immutable(models.Model):
    """Rows written once. The database refuses UPDATE and DELETE too (see migration 0003)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise EditionImmutable("A published edition cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise EditionImmutable("A published edition cannot be deleted.")


class EditionQuerySet(ImmutableQuerySet):
    """Who may see which edition is chapters/policies.py's to say."""


class Edition(Immutable):
    """An immutable snapshot of the exact chapter versions of a handbook, published once."""

    handbook = models.ForeignKey(
        Handbook, verbose_name=_("handbook"), on_delete=models.PROTECT, related_name="editions"
    )
    label = models.CharField(
        _("version label"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^[0-9]+(\.[0-9]+){1,2}$", _("Use a version number such as 1.0 or 1.1.")
            )
        ],
    )
    date = models.DateField(_("date"))
    release_notes = models.TextField(_("release notes"), blank=True)
    # What the cover says, as it was when published.
    title = models.CharField(_("title"), max_length=300)
    organisations = models.CharField(_("issuing organisations"), max_length=300, blank=True)
    distribution_marking = models.CharField(_("distribution marking"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=clock.now)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["handbook", "-published_at"]
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["handbook", "label"],
                name="edition_label_unique_in_handbook",
                violation_error_message=_("This handbook already has an edition with this label."),
            ),
        ]
        permissions: ClassVar = [
            ("publish_edition", _("Can publish an edition")),
            ("export_handbook", _("Can export editions and drafts")),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("chapters:edition", args=[self.handbook.slug, self.label])


class EditionChapter(Immutable):
    """One chapter of an edition: its number, title and text exactly as published."""

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="chapters")
    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField()
    version = models.PositiveIntegerField()

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["edition", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["edition", "number"], name="edition_chapter_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def rendered(self) -> str:
        return rendered_html(self.chapter_id, self.version, self.number, self.body)
