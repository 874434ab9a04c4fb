"""Closing the loop on every comment, as international text reviews do (ISO/IEC commenting template,
IEEE ballots): a type for each thread, the editors' disposition of it, the commenter's answer to
that disposition, the jurisdiction coordinator's consolidation (endorse, hold back, merge) and the
jurisdiction's vote on each chapter.

Every row here is written once and never changed: a revised disposition, a changed answer or a
changed vote is a new row. The thread carries the current one of each, denormalised, so the chapter
page, the dashboard and the report read them without a join per thread.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter, Round
from comments.models.threads import (
    AnswerKind,
    NotAllowed,
    PositionKind,
    Thread,
)
from handbook_review import clock


class DispositionKind(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    MODIFIED = "modified", _("Accepted with modification")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    NOTED = "noted", _("Noted, no change needed")
    DEFERRED = "deferred", _("Deferred to a later edition")
    DUPLICATE = "duplicate", _("Duplicate of another comment")


# A reason is required where the commenter does not get what they asked for and must be told why.
REASON_REQUIRED = frozenset({DispositionKind.NOT_ACCEPTED, DispositionKind.NOTED})
# What satisfies an essential comment.
SATISFIED = frozenset({DispositionKind.ACCEPTED, DispositionKind.MODIFIED})


class WrittenOnce(models.Model):
    """A record that is written once and never changed or removed in place."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NotAllowed(_("A record of the review cannot be changed once it is written."))
        super().save(*args, **kwargs)


class Disposition(WrittenOnce):
    """The editors' disposition of a thread (a comment or a suggestion) and their observation.

    A suggestion's decision is its disposition: accepting or rejecting one writes both rows.
    """

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="dispositions")
    kind = models.CharField(_("disposition"), max_length=16, choices=DispositionKind.choices)
    reason = models.TextField(_("observation"), blank=True)
    # Accepted with modification: the words as applied.
    applied_text = models.TextField(_("text as applied"), blank=True)
    duplicate_of = models.ForeignKey(
        Thread, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The decision on the suggestion this disposition came from, when it came from one.
    decision = models.OneToOneField(
        "comments.Decision",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disposition",
    )
    # Revising a disposition writes a new row; the one it replaces is kept.
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    version = models.PositiveIntegerField(_("chapter version"), null=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = clock.Stamp(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["thread", "at", "pk"]
        permissions: ClassVar = [
            ("dispose_thread", _("Can give comments and suggestions their disposition")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.thread_id}"


class Answer(WrittenOnce):
    """The commenter's (or their coordinator's) answer to a disposition."""

    disposition = models.ForeignKey(Disposition, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(_("answer"), max_length=12, choices=AnswerKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = clock.Stamp(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["disposition", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.disposition_id}"


class Position(WrittenOnce):
    """A coordinator's consolidation of one of their jurisdiction's threads."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="positions")
    kind = models.CharField(max_length=12, choices=PositionKind.choices)
    into = models.ForeignKey(
        Thread, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = clock.Stamp(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["thread", "at", "pk"]
        permissions: ClassVar = [
            ("coordinate_jurisdiction", _("Can consolidate their jurisdiction's comments")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.thread_id}"


class VoteValue(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_WITH_COMMENTS = "approve_with_comments", _("Approve with comments")
    DISAPPROVE = "disapprove", _("Disapprove")


class Vote(models.Model):
    """A jurisdiction's vote on a chapter in a round, cast by its coordinator.

    A changed vote is a new row; the old one is marked superseded (the one change it allows), so
    the ballot's history can be read back. Disapproval names the essential comments behind it.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="votes")
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="votes")
    jurisdiction = models.ForeignKey(
        "people.Jurisdiction", on_delete=models.PROTECT, related_name="votes"
    )
    value = models.CharField(_("vote"), max_length=24, choices=VoteValue.choices)
    essentials = models.ManyToManyField(
        Thread, verbose_name=_("essential comments"), related_name="disapprovals", blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    version = models.PositiveIntegerField(_("chapter version voted on"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = clock.Stamp(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["round", "chapter", "jurisdiction"],
                condition=Q(superseded_at__isnull=True),
                name="one_standing_vote_per_jurisdiction",
                violation_error_message=_("Your jurisdiction has already voted on this chapter."),
            ),
        ]
        permissions: ClassVar = [
            ("cast_vote", _("Can cast their jurisdiction's vote on a chapter")),
        ]

    def __str__(self) -> str:
        return f"{self.chapter} — {self.jurisdiction_id}: {self.get_value_display()}"
