"""Handbooks and their chapters. A chapter's text only changes through `Chapter.revise`, which
records a django-simple-history version (who, why, on whose behalf) and announces it once."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from chapters import rendering
from chapters.signals import chapter_revised
from handbook_review import clock

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
    SERBIAN = "sr", _("Serbian")


def can_see_drafts(user: User) -> bool:
    return user.has_perm("chapters.view_draft_chapter")


class HandbookQuerySet(models.QuerySet["Handbook"]):
    def visible_to(self, user: User) -> HandbookQuerySet:
        """Editors see every handbook; counterparts those their jurisdiction takes part in."""
        if not user.is_authenticated or not user.has_perm("chapters.view_handbook"):
            return self.none()
        if can_see_drafts(user):
            return self
        return self.filter(jurisdictions=user.jurisdiction_id)


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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

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
        siblings = list(self.chapters.select_for_update().order_by("number"))
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
    def visible_to(self, user: User) -> ChapterQuerySet:
        """Editors see every chapter; counterparts the chapters that are not drafts."""
        visible = self.filter(handbook__in=Handbook.objects.visible_to(user))
        if can_see_drafts(user):
            return visible
        return visible.exclude(status=Status.DRAFT)


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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

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
        headings = cache.get(key)
        if headings is None:
            headings = rendering.outline(self.rendered())
            cache.set(key, headings, timeout=60 * 60 * 24 * 30)
        return headings

    def plain_text(self) -> str:
        return plain_text(self.pk, self.version, self.number, self.body)


def rendered_html(chapter_id: int, version: int, number: int, body: str) -> str:
    """Sanitised HTML of one version, cached: a version's text never changes once recorded.

    The Markdown blocks of the chapter's last rendered version are cached too (shared by every
    worker), so that rendering a revision parses only the blocks it changed.
    """
    key = f"chapter-html:{chapter_id}:{version}:{number}:{rendering.RENDERER_VERSION}"
    html = cache.get(key)
    if html is None:
        blocks_key = f"chapter-blocks:{chapter_id}:{rendering.RENDERER_VERSION}"
        previous = cache.get(blocks_key)
        html, blocks = rendering.render_reusing(
            body, number=number, blocks=previous if isinstance(previous, dict) else {}
        )
        cache.set(key, html, timeout=60 * 60 * 24 * 30)
        if blocks is not None:
            cache.set(blocks_key, blocks, timeout=60 * 60 * 24 * 30)
    return html


def plain_text(chapter_id: int, version: int, number: int, body: str) -> str:
    """The version's text as the browser sees it (textContent): the space comments anchor in.

    Derived from the page's own HTML, so a new version is rendered once for both; section
    numbers live in attributes, so the text (and its cache key) does not depend on them.
    """
    key = f"chapter-text:{chapter_id}:{version}:{rendering.RENDERER_VERSION}"
    text = cache.get(key)
    if text is None:
        text = rendering.plain_text(rendered_html(chapter_id, version, number, body))
        cache.set(key, text, timeout=60 * 60 * 24 * 30)
    return text


# --- Review rounds, workflow, sign-off


class RoundState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RoundQuerySet(models.QuerySet["Round"]):
    def visible_to(self, user: User) -> RoundQuerySet:
        """Editors see every round; counterparts the rounds their jurisdiction is invited to."""
        rounds = self.filter(handbook__in=Handbook.objects.visible_to(user))
        if can_see_drafts(user):
            return rounds
        return rounds.filter(jurisdictions=user.jurisdiction_id)

    def open_at(self, when: datetime) -> RoundQuerySet:
        return self.filter(opens_at__lte=when, closes_at__gt=when)


class Round(models.Model):
    """A period in which invited jurisdictions review some chapters of a handbook."""

    handbook = models.ForeignKey(
        Handbook, verbose_name=_("handbook"), on_delete=models.CASCADE, related_name="rounds"
    )
    name = models.CharField(_("name"), max_length=200)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    chapters = models.ManyToManyField(Chapter, verbose_name=_("chapters"), related_name="rounds")
    jurisdictions = models.ManyToManyField(
        "people.Jurisdiction", verbose_name=_("invited jurisdictions"), related_name="rounds"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    # When notifications went out, so each goes out once (opened, 48 hours left, closed).
    announced_open_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    announced_closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["handbook", "-opens_at"]
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="round_closes_after_it_opens",
                violation_error_message=_("A round must close after it opens."),
            ),
        ]
        permissions: ClassVar = [
            ("manage_round", _("Can open, extend and close review rounds")),
            ("sign_off_round", _("Can sign off a chapter for their jurisdiction")),
        ]

    def __str__(self) -> str:
        return self.name

    def state(self, at: datetime | None = None) -> RoundState:
        at = at or clock.now()
        if at < self.opens_at:
            return RoundState.SCHEDULED
        if at < self.closes_at:
            return RoundState.OPEN
        return RoundState.CLOSED

    def is_open(self, at: datetime | None = None) -> bool:
        return self.state(at) == RoundState.OPEN


class RoundChange(models.TextChoices):
    OPENED = "opened", _("Opened")
    EXTENDED = "extended", _("Extended")
    CLOSED = "closed", _("Closed early")
    CHANGED = "changed", _("Changed")


class RoundEvent(models.Model):
    """One recorded change of a round: who, when, what the dates became, why."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=RoundChange.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.round}: {self.get_kind_display()}"


class Transition(models.Model):
    """One step of a chapter through the workflow (draft → in review → consolidation → approved)."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="transitions")
    source = models.CharField(_("from"), max_length=20, choices=Status.choices)
    target = models.CharField(_("to"), max_length=20, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)
    note = models.TextField(_("note"), blank=True)
    # An editor moved the chapter on although a guard said no (e.g. open suggestions).
    override = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        permissions: ClassVar = [
            ("transition_chapter", _("Can move chapters through the workflow")),
        ]

    def __str__(self) -> str:
        return f"{self.chapter}: {self.get_source_display()} → {self.get_target_display()}"


class Verdict(models.TextChoices):
    WITH_COMMENTS = "with_comments", _("Reviewed, with comments")
    NO_COMMENTS = "no_comments", _("Reviewed, no comments")


class SignOff(models.Model):
    """A jurisdiction's statement that it has reviewed a chapter in a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="sign_offs")
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="sign_offs")
    jurisdiction = models.ForeignKey(
        "people.Jurisdiction", on_delete=models.PROTECT, related_name="sign_offs"
    )
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["round", "chapter", "jurisdiction"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_standing_sign_off_per_jurisdiction",
                violation_error_message=_("Your jurisdiction has already signed off this chapter."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chapter} — {self.jurisdiction}: {self.get_verdict_display()}"


# --- Published editions


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
    def visible_to(self, user: User) -> EditionQuerySet:
        return self.filter(handbook__in=Handbook.objects.visible_to(user))


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


# --- Exports


class ExportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    EPUB = "epub", "EPUB 3"
    HTML = "html", _("Single-file HTML")
    MARKDOWN = "md", _("Markdown bundle (zip)")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ExportState = JobState  # the name the export code grew up with


class Export(models.Model):
    """A file made from an edition (once, then served) or from the current draft (watermarked)."""

    handbook = models.ForeignKey(Handbook, on_delete=models.CASCADE, related_name="exports")
    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, null=True, blank=True, related_name="exports"
    )
    format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    # Stored under a random name (exports/<uuid>.<ext>, see editions.export_filename): names
    # are never guessable; people get a readable one from `download_filename`.
    file = models.FileField(upload_to="exports/", blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    # Draft exports: the chapter versions they were made from ({chapter id: version}).
    versions = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who is making it ("host:pid") and when it last said so: a running export whose worker is
    # gone, or whose heartbeat is too old, is marked failed by the sweep (chapters.jobs).
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Attempts since `attempts_since`; too many in a short window and it is not queued again.
    attempts = models.PositiveIntegerField(default=0)
    attempts_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-requested_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["edition", "format"],
                condition=Q(edition__isnull=False),
                name="one_export_per_edition_and_format",
            ),
        ]

    def __str__(self) -> str:
        made_from = self.edition.label if self.edition_id else "draft"  # type: ignore[union-attr]
        return f"{self.handbook} {made_from} ({self.get_format_display()})"

    def download_filename(self) -> str:
        """The name a download is saved under: slug-1-0.pdf, or slug-draft-20261202-1408.pdf."""
        extension = str(self.file.name).rsplit(".", 1)[-1] if self.file else self.format
        if self.edition_id is not None:
            stem = f"{self.handbook.slug}-{self.edition.label.replace('.', '-')}"  # type: ignore[union-attr]
        else:
            made_at = self.started_at or self.requested_at
            stem = f"{self.handbook.slug}-draft-{made_at:%Y%m%d-%H%M}"
        return f"{slugify(stem)}.{extension}"


class ExportDownload(models.Model):
    """Who downloaded which export, when: exports are restricted documents."""

    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("downloaded at"), default=clock.now)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        verbose_name = _("export download")
        verbose_name_plural = _("export downloads")

    def __str__(self) -> str:
        return f"{self.export} — {self.user}"


# --- Images in chapters

# What an image URL in a chapter may look like, and nothing else: uploads are named
# images/<uuid hex>.<ext>, Word imports images/import-<sha256>.<ext> (content-addressed).
IMAGE_EXTENSIONS = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
IMAGE_FILENAME = re.compile(r"(?:[0-9a-f]{32}|import-[0-9a-f]{64})\.(?:png|jpg|gif|webp)")
IMAGE_URL_IN_TEXT = re.compile(
    r"/media/images/((?:[0-9a-f]{32}|import-[0-9a-f]{64})\.(?:png|jpg|gif|webp))(?![\w.-])"
)


def image_key(filename: str) -> uuid.UUID:
    """The row key of an image file name (the uuid, or the first half of an import's sha256)."""
    return uuid.UUID(hex=filename.removeprefix("import-")[:32])


class StoredImage(models.Model):
    """An image uploaded into (or imported with) a handbook's chapters; served only by
    `chapters.views.media`, to the people who may read what shows it."""

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    handbook = models.ForeignKey(
        Handbook, verbose_name=_("handbook"), on_delete=models.PROTECT, related_name="images"
    )
    chapter = models.ForeignKey(
        Chapter,
        verbose_name=_("uploaded for chapter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="images",
    )
    name = models.CharField(_("stored name"), max_length=200, unique=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=50)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=clock.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return settings.MEDIA_URL + self.name

    def readable_by(self, user: User) -> bool:
        """Whether the user may see this image: whoever may read what it belongs to.

        Editors see every image of a handbook they see. Counterparts see an image when the
        chapter it was uploaded for, or a chapter or published edition that shows it, is one
        they may read; an image uploaded for a draft stays hidden until the draft is in review.
        """
        if not Handbook.objects.visible_to(user).filter(pk=self.handbook_id).exists():
            return False
        if can_see_drafts(user):
            return True
        chapters = Chapter.objects.visible_to(user).filter(handbook=self.handbook_id)
        if self.chapter_id is not None and chapters.filter(pk=self.chapter_id).exists():
            return True
        if chapters.filter(body__contains=self.url).exists():
            return True
        return EditionChapter.objects.filter(
            edition__in=Edition.objects.visible_to(user).filter(handbook=self.handbook_id),
            body__contains=self.url,
        ).exists()


class ImportJob(models.Model):
    """An uploaded Word or Markdown file being read in the background, then previewed.

    The upload waits in storage under a random name until a worker has read it (then it is
    deleted); the chapters read from it wait here, in the database, so every web process shows
    the same preview. Confirming applies it once (`applied_at`).
    """

    handbook = models.ForeignKey(Handbook, on_delete=models.CASCADE, related_name="import_jobs")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    upload = models.FileField(upload_to="imports/", blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    # [{"title", "body", "notes": [...], "images": [{"name", "storage_name", "data" (base64)}]}]
    preview = models.JSONField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.handbook} import of {self.filename} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("chapters:import_job", args=[self.handbook.slug, self.pk])
