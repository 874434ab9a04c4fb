"""Handbooks and their chapters. A chapter's text only changes through `Chapter.revise`, which
records a django-simple-history version (who, why, on whose behalf) and announces it once; the
rendered HTML and plain text of each version are cached by version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from chapters import rendering
from chapters.signals import chapter_revised
from handbook_review import caching, clock

if TYPE_CHECKING:
    from handbook_review.people.models import User


class StaleVersion(Exception):
    """The chapter moved on since the editor opened it; saving would overwrite someone's work."""

    def __init__(self, current: int) -> None:
        super().__init__(f"The chapter is at version {current}.")
        self.current = current


class NothingChanged(ValueError):
    pass


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    ALBANIAN = "sq", _("Albanian")
    BOSNIAN = "bs", _("Bosnian")
    CROATIAN = "hr", _("Croatian")
    MACEDONIAN = "mk", _("Macedonian")
    MONTENEGRIN = "cnr", _("Montenegrin")
    SERBIAN = "sr", _("Serbian (Cyrillic)")
    SERBIAN_LATIN = "sr-latn", _("Serbian (Latin)")


class HandbookQuerySet(models.QuerySet["Handbook"]):
    """Who may see which handbook is chapters/policies.py's to say."""


class Handbook(models.Model):
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    distribution_marking = models.CharField(
        _("distribution marking"),
        max_length=100,
        blank=True,
        default="LIMITED DISTRIBUTION",
        help_text=_("Printed on the cover and pages of exports."),
    )
    organisations = models.CharField(
        _("issuing organisations"),
        max_length=300,
        blank=True,
        help_text=_('As printed on the cover of editions, e.g. "FRONTEX, SEESAC".'),
    )
    jurisdictions = models.ManyToManyField(
        "people.Jurisdiction",
        verbose_name=_("participating jurisdictions"),
        related_name="handbooks",
        blank=True,
    )
    created_at = clock.Stamp(_("created"), auto_now_add=True)

    objects = HandbookQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["title"]
        verbose_name = _("handbook")
        verbose_name_plural = _("handbooks")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("handbook", args=[self.slug])

    def image_names(self) -> frozenset[str]:
        """The file names of this handbook's images: what its exports may embed."""
        names = self.images.values_list("name", flat=True)  # type: ignore[attr-defined]
        return frozenset(name.removeprefix("images/") for name in names)

    def next_chapter_number(self) -> int:
        return (self.chapters.aggregate(n=Max("number"))["n"] or 0) + 1

    def add_chapter(self, *, title: str, body: str, by: User, number: int | None = None) -> Chapter:
        """Create a chapter as version 1, recorded in its history like every later version."""
        chapter = Chapter(
            handbook=self,
            number=number if number is not None else self.next_chapter_number(),
            title=title,
            body=normalise_newlines(body),
        )
        chapter._history_user = by  # type: ignore[attr-defined]
        chapter._change_reason = "Created"  # type: ignore[attr-defined]
        chapter.save()
        return chapter

    @transaction.atomic
    def move_chapter(self, chapter: Chapter, *, offset: int) -> None:
        """Swap a chapter with its neighbour (offset -1: earlier, +1: later); no-op at the ends."""
        # Locked in primary-key order, as everywhere, so that concurrent moves cannot deadlock.
        locked = list(self.chapters.select_for_update().order_by("pk"))
        siblings = sorted(locked, key=lambda c: c.number)
        index = next(i for i, c in enumerate(siblings) if c.pk == chapter.pk)
        other_index = index + offset
        if not 0 <= other_index < len(siblings):
            return
        mine, other = siblings[index], siblings[other_index]
        # Two steps around the unique (handbook, number) constraint.
        parking = max(c.number for c in siblings) + 1
        Chapter.objects.filter(pk=mine.pk).update(number=parking)
        Chapter.objects.filter(pk=other.pk).update(number=mine.number)
        Chapter.objects.filter(pk=mine.pk).update(number=other.number)
        chapter.number = other.number


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CONSOLIDATION = "consolidation", _("Consolidation")
    APPROVED = "approved", _("Approved")


class ChapterQuerySet(models.QuerySet["Chapter"]):
    """Who may see which chapter is chapters/policies.py's to say."""


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Chapter(models.Model):
    handbook = models.ForeignKey(
        Handbook, verbose_name=_("handbook"), on_delete=models.CASCADE, related_name="chapters"
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    body = MarkdownxField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    # Set by `revise` when a version carries someone else's words (an accepted suggestion).
    credited_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = clock.Stamp(_("created"), auto_now_add=True)
    updated_at = clock.Stamp(_("updated"), auto_now=True)

    # Only the text is versioned; numbering and workflow status have their own records.
    history = HistoricalRecords(
        excluded_fields=["number", "status", "created_at", "updated_at"],
        user_related_name="+",
        # The default is 100 characters; reasons are longer ("Accepted suggestion #12 by ...").
        history_change_reason_field=models.TextField(null=True),
    )

    objects = ChapterQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["handbook", "number"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["handbook", "number"],
                name="chapter_number_unique_in_handbook",
                violation_error_message=_("Another chapter of this handbook has this number."),
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="chapter_number_positive"),
        ]
        permissions: ClassVar = [
            ("view_draft_chapter", _("Can see draft chapters")),
            ("upload_image", _("Can upload images into chapters")),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("chapter", args=[self.handbook.slug, self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    def revise(
        self,
        *,
        body: str,
        by: User,
        reason: str,
        base_version: int,
        title: str | None = None,
        credited_to: User | None = None,
    ) -> None:
        """Record a new version of the text: the one way a chapter's title or body changes.

        `base_version` is the version the author started from; if the chapter has moved on since,
        StaleVersion is raised and nothing is written, so no one's edit is silently overwritten.
        The row stays locked until the transaction ends, so two revisions never interleave, and
        `chapter_revised` is sent inside it so the comments app re-anchors in the same transaction.
        """
        body = normalise_newlines(body)
        with transaction.atomic():
            locked = Chapter.objects.select_for_update().get(pk=self.pk)
            if locked.version != base_version:
                raise StaleVersion(locked.version)
            new_title = locked.title if title is None else title
            if body == locked.body and new_title == locked.title:
                raise NothingChanged(_("The text is unchanged."))
            previous_version, previous_body = locked.version, locked.body
            locked.title = new_title
            locked.body = body
            locked.version = previous_version + 1  # the row is locked: no one else can bump it
            locked.credited_to = credited_to
            locked._history_user = by  # type: ignore[attr-defined]
            locked._change_reason = reason  # type: ignore[attr-defined]
            locked.save()
            chapter_revised.send(
                sender=Chapter,
                chapter=locked,
                previous_version=previous_version,
                previous_body=previous_body,
            )
        for field in ("title", "body", "version", "credited_to", "updated_at"):
            setattr(self, field, getattr(locked, field))

    def restore(self, version: int, *, by: User, base_version: int) -> None:
        """Make an old version current again, as a new version (history is never rewritten)."""
        old = self.history.get(version=version)
        self.revise(
            body=old.body,
            title=old.title,
            by=by,
            base_version=base_version,
            reason=f"Restored version {version}",
        )

    def versions(self) -> models.QuerySet[Any]:
        return self.history.select_related("history_user", "credited_to").order_by("-version")

    def rendered(self) -> str:
        return rendered_html(self.pk, self.version, self.number, self.body)

    def outline(self) -> list[rendering.Heading]:
        """The sections of the current version (cached with it: parsing 200 KB is not free)."""
        key = f"chapter-outline:{self.pk}:{self.version}:{self.number}:{rendering.RENDERER_VERSION}"
        return caching.versioned(key, lambda: rendering.outline(self.rendered()))

    def plain_text(self) -> str:
        return plain_text(self.pk, self.version, self.number, self.body)


def rendered_html(chapter_id: int, version: int, number: int, body: str) -> str:
    """Sanitised HTML of one version, cached: a version's text never changes once recorded.

    The Markdown blocks of the chapter's last rendered version are cached too (shared by every
    worker), so that rendering a revision parses only the blocks it changed.
    """
    key = f"chapter-html:{chapter_id}:{version}:{number}:{rendering.RENDERER_VERSION}"

    def render() -> str:
        blocks_key = f"chapter-blocks:{chapter_id}:{rendering.RENDERER_VERSION}"
        previous = cache.get(blocks_key)
        html, blocks = rendering.render_reusing(
            body, number=number, blocks=previous if isinstance(previous, dict) else {}
        )
        if blocks is not None:
            cache.set(blocks_key, blocks, timeout=caching.VERSIONED_TIMEOUT)
        return html

    return caching.versioned(key, render)


def plain_text(chapter_id: int, version: int, number: int, body: str) -> str:
    """The version's text as the browser sees it (textContent): the space comments anchor in.

    Derived from the page's own HTML, so a new version is rendered once for both; section
    numbers live in attributes, so the text (and its cache key) does not depend on them.
    """
    key = f"chapter-text:{chapter_id}:{version}:{rendering.RENDERER_VERSION}"
    return caching.versioned(
        key, lambda: rendering.plain_text(rendered_html(chapter_id, version, number, body))
    )
