"""Files made from or read into a handbook: exports and their downloads, stored images, import
jobs, and the states a background job moves through."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from chapters.models.editions import Edition
from chapters.models.handbooks import Chapter, Handbook
from handbook_review import clock

if TYPE_CHECKING:
    pass


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
    # [{"title", "body", "notes": [...],
    #   "images": [{"name", "storage_name", "data" (base64), "width", "height"}]}]
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
