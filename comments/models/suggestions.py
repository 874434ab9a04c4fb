"""Suggested edits and the decisions on them: a suggestion is a thread whose first comment proposes
replacement words; every decision (accepted, modified, rejected, withdrawn, conflicted) is a row
written once and never changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter
from comments import merging
from comments.models.threads import (
    COMMENT_MAX_CHARS,
    NotAllowed,
    Thread,
)
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CONFLICTED = "conflicted", _("Conflicted")


UNDECIDED = (SuggestionStatus.OPEN, SuggestionStatus.CONFLICTED)


class Conflict(Exception):
    """The words a suggestion replaces were changed since it was made: an editor must decide."""

    def __init__(self, suggestion: Suggestion, result: merging.MergeResult) -> None:
        super().__init__(_("The text this suggestion replaces has changed since it was made."))
        self.suggestion = suggestion
        self.result = result


class Suggestion(models.Model):
    """A proposed replacement of a range of the chapter's Markdown, discussed in its thread.

    The range is kept against the version it was made on (`base_version`); accepting merges it
    into whatever the chapter has become since (comments.merging), or marks it conflicted.
    """

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="suggestion")
    base_version = models.PositiveIntegerField()
    source_start = models.PositiveIntegerField()
    source_end = models.PositiveIntegerField()
    original = models.TextField(blank=True)
    replacement = models.TextField(blank=True, max_length=COMMENT_MAX_CHARS)
    whole_block = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    applied_version = models.PositiveIntegerField(null=True)
    created_at = clock.Stamp(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["thread__chapter", "source_start", "pk"]
        permissions: ClassVar = [("decide_suggestion", _("Can accept or reject suggestions"))]

    def __str__(self) -> str:
        return f"Suggestion #{self.pk}"

    @property
    def number(self) -> int:
        """Its thread's number (`Thread.number`): the one it goes by everywhere."""
        return self.thread_id

    @property
    def proposer(self) -> User:
        return self.thread.author

    def edit(self, replacement: str | None = None) -> merging.Edit:
        return merging.Edit(
            start=self.source_start,
            end=self.source_end,
            replacement=self.replacement if replacement is None else replacement,
        )

    def base_body(self, chapter: Chapter) -> str:
        if self.base_version == chapter.version:
            return chapter.body
        return str(chapter.history.get(version=self.base_version).body)

    def merge(
        self, chapter: Chapter, replacement: str | None = None, *, base: str | None = None
    ) -> merging.MergeResult:
        """This suggestion merged into the chapter's current text (nothing is written).
        `base` is the text of its base version, when the caller has fetched it already."""
        if base is None:
            base = self.base_body(chapter)
        return merging.apply_edit(base, chapter.body, self.edit(replacement))


class Decision(models.Model):
    """What happened to a suggestion, by whom and why: written once, never changed."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        MODIFIED = "modified", _("Modified and accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CONFLICTED = "conflicted", _("Conflicted")
        REOPENED = "reopened", _("Reopened: decision undone")

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = clock.Stamp(auto_now_add=True)
    reason = models.TextField(blank=True)
    applied_text = models.TextField(blank=True)
    version = models.PositiveIntegerField(null=True)

    class Meta:
        ordering: ClassVar = ["suggestion", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.suggestion_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise NotAllowed(_("A decision cannot be changed once it is recorded."))
        super().save(*args, **kwargs)


# How long an editor may undo a bulk decision: long enough to notice a wrong filter, short
# enough that no one else has built on the decided text yet.
UNDO_MINUTES = 10


class BulkRun(models.Model):
    """Many suggestions decided at once (accept all, reject all), kept so that the editor who
    ran it can undo it for UNDO_MINUTES: the decisions it made, and the version it started from."""

    class Action(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = clock.Stamp(auto_now_add=True)
    version_before = models.PositiveIntegerField()
    decisions = models.ManyToManyField(Decision, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    # The version that restored the text, when undoing an acceptance changed it.
    undo_version = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Bulk {self.action} #{self.pk}"

    @property
    def undo_until(self) -> datetime:
        return self.at + timedelta(minutes=UNDO_MINUTES)

    def undoable(self, now: datetime | None = None) -> bool:
        return self.undone_at is None and (now or clock.now()) < self.undo_until
