"""Review rounds and their workflow: rounds, round events, chapter transitions and sign-offs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chapters.models.handbooks import Chapter, Handbook, Status
from handbook_review import clock

if TYPE_CHECKING:
    pass


class RoundState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RoundQuerySet(models.QuerySet["Round"]):
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
