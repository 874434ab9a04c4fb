"""A reviewed Word copy uploaded back: what was found in it (kept until it is confirmed, so every
web process shows the same preview) and, once confirmed, what was made of it."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chapters.models import Handbook
from handbook_review import clock


class WordReviewState(models.TextChoices):
    READ = "read", _("Read, waiting for confirmation")
    FAILED = "failed", _("Could not be read")
    CONFIRMED = "confirmed", _("Confirmed")


class WordReview(models.Model):
    """One upload of a reviewed copy. The file waits in storage under a random name only while
    it is read (then it is deleted, as an import's is); the items found stay here. Confirming
    creates the chosen threads and suggestions once (`confirmed_at`, under a row lock)."""

    handbook = models.ForeignKey(Handbook, on_delete=models.CASCADE, related_name="word_reviews")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    upload = models.FileField(upload_to="word-reviews/", blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=WordReviewState.choices, default=WordReviewState.READ
    )
    error = models.TextField(_("error"), blank=True)
    # {"chapters": {id: version}, "untracked": n, "items": [...]} (comments/wordcopy.py)
    found = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # What confirming made: {"threads": [ids], "suggestions": [ids], "replies": [ids]}
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("reviewed Word copy")
        verbose_name_plural = _("reviewed Word copies")

    def __str__(self) -> str:
        return f"{self.filename} by {self.uploaded_by_id} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("comments:word_review", args=[self.handbook.slug, self.pk])
