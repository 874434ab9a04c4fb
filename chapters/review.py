"""Review rounds, the chapter workflow and sign-offs: the state changes of the review process.

Each change is one named function that checks its rules against the rows as they are inside its
transaction and records what happened (RoundEvent, Transition, SignOff), so the history of a
review can be read back afterwards. Time is always `clock.now()`, so tests can move it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from chapters import policies
from chapters.models import (
    Chapter,
    Handbook,
    Round,
    RoundChange,
    RoundEvent,
    RoundQuerySet,
    SignOff,
    Status,
    Transition,
    Verdict,
)
from chapters.signals import approval_check, draft_check
from handbook_review import clock
from handbook_review.people.models import Role, User

if TYPE_CHECKING:
    from handbook_review.people.models import Jurisdiction


class ReviewError(Exception):
    """A review action that the current state does not allow; the message says why."""


class IllegalTransition(ReviewError):
    """The workflow has no such step from the chapter's current state."""


class GuardFailed(ReviewError):
    """The step exists, but something stands in its way (e.g. open suggestions)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class SignOffRefused(ReviewError):
    """A sign-off (or its withdrawal) that the round's state does not allow."""


# --- Rounds


def _check_scope(
    handbook: Handbook, chapters: list[Chapter], jurisdictions: list[Jurisdiction]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not chapters:
        errors["chapters"] = [_("Choose at least one chapter for the round.")]
    elif any(c.handbook_id != handbook.pk for c in chapters):
        errors["chapters"] = [_("A round covers chapters of its own handbook only.")]
    elif empty := [str(c) for c in chapters if c.status == Status.DRAFT and not c.body.strip()]:
        errors["chapters"] = [
            _("These drafts have no text to review yet: %(names)s.") % {"names": ", ".join(empty)}
        ]
    if not jurisdictions:
        errors["jurisdictions"] = [_("Invite at least one jurisdiction.")]
    else:
        taking_part = set(handbook.jurisdictions.values_list("pk", flat=True))
        if any(j.pk not in taking_part for j in jurisdictions):
            errors["jurisdictions"] = [
                _("Only jurisdictions taking part in this handbook can be invited.")
            ]
    return errors


def _start_review_of_drafts(chapters: Iterable[Chapter], *, by: User, note: str) -> None:
    """Chapters put in a round go to review: a draft in scope would be hidden from reviewers."""
    chapters = list(chapters)
    # Locked in primary-key order, as everywhere, so that two rounds cannot deadlock.
    rows = Chapter.objects.select_for_update().filter(pk__in=[c.pk for c in chapters])
    found = {row.pk: row for row in rows.order_by("pk")}
    for chapter in chapters:
        locked = found[chapter.pk]
        if locked.status == Status.DRAFT:
            _record(locked, to=Status.IN_REVIEW, by=by, note=note, override=False)
            chapter.status = Status.IN_REVIEW


def _event(round: Round, kind: RoundChange, *, by: User, note: str = "") -> RoundEvent:
    return RoundEvent.objects.create(
        round=round,
        kind=kind,
        by=by,
        at=clock.now(),
        opens_at=round.opens_at,
        closes_at=round.closes_at,
        note=note,
    )


def _require_manager(user: User) -> None:
    policies.rounds.require(user, "manage")


def open_round(
    *,
    handbook: Handbook,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    chapters: Iterable[Chapter],
    jurisdictions: Iterable[Jurisdiction],
    by: User,
) -> Round:
    """Open a review round: who reviews which chapters, from when until when.

    Raises ValidationError keyed by field (name, closes_at, chapters, jurisdictions) and changes
    nothing if the round does not make sense. Drafts in scope go to review with the round, so
    the invited counterparts can read them once it opens.
    """
    _require_manager(by)
    chapters, jurisdictions = list(chapters), list(jurisdictions)
    name = name.strip()
    errors = _check_scope(handbook, chapters, jurisdictions)
    if not name:
        errors["name"] = [_("Give the round a name.")]
    if closes_at <= opens_at:
        errors["closes_at"] = [_("The round must close after it opens.")]
    elif closes_at <= clock.now():
        errors["closes_at"] = [_("The closing time has already passed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        round = Round.objects.create(
            handbook=handbook,
            name=name,
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=by,
            created_at=clock.now(),
        )
        round.chapters.set(chapters)
        round.jurisdictions.set(jurisdictions)
        _event(round, RoundChange.OPENED, by=by)
        _start_review_of_drafts(chapters, by=by, note=f"Round {name} opened")
    return round


def _locked_round(round: Round) -> Round:
    return Round.objects.select_for_update().get(pk=round.pk)


# Notifications remind invited jurisdictions this long before a round closes.
REMINDER_BEFORE_CLOSE = timedelta(hours=48)


def extend_round(round: Round, *, closes_at: datetime, by: User, note: str = "") -> Round:
    """Give reviewers more time: the new closing time must be later than the current one."""
    _require_manager(by)
    with transaction.atomic():
        locked = _locked_round(round)
        now = clock.now()
        if closes_at <= locked.closes_at:
            raise ValidationError(
                {"closes_at": [_("Extending means closing later than the round closes now.")]}
            )
        if closes_at <= now:
            raise ValidationError({"closes_at": [_("The new closing time has already passed.")]})
        locked.closes_at = closes_at
        # The new deadline gets its own reminder, and a reopened round its own closing notice.
        if closes_at - REMINDER_BEFORE_CLOSE > now:
            locked.reminded_at = None
        locked.announced_closed_at = None
        locked.save(update_fields=["closes_at", "reminded_at", "announced_closed_at"])
        _event(locked, RoundChange.EXTENDED, by=by, note=note.strip())
    round.closes_at = closes_at
    round.reminded_at, round.announced_closed_at = locked.reminded_at, None
    return locked


def close_round(round: Round, *, by: User, note: str = "") -> Round:
    """Close a round before its time: reviewing stops now."""
    _require_manager(by)
    with transaction.atomic():
        locked = _locked_round(round)
        now = clock.now()
        if not locked.closes_at > now:
            raise ValidationError(_("This round is already closed."))
        locked.closes_at = now
        # A round closed before it opened never ran; it must still close after it "opened".
        if locked.opens_at >= now:
            locked.opens_at = now - timedelta(microseconds=1)
        locked.save(update_fields=["opens_at", "closes_at"])
        _event(locked, RoundChange.CLOSED, by=by, note=note.strip())
    round.opens_at, round.closes_at = locked.opens_at, locked.closes_at
    return locked


def change_round(
    round: Round,
    *,
    by: User,
    name: str,
    chapters: Iterable[Chapter],
    jurisdictions: Iterable[Jurisdiction],
    note: str = "",
) -> Round:
    """Rename a round or change its scope while it has not closed; sign-offs given stay."""
    _require_manager(by)
    chapters, jurisdictions = list(chapters), list(jurisdictions)
    name = name.strip()
    with transaction.atomic():
        locked = _locked_round(round)
        if not locked.closes_at > clock.now():
            raise ValidationError(_("A closed round cannot be changed."))
        errors = _check_scope(locked.handbook, chapters, jurisdictions)
        if not name:
            errors["name"] = [_("Give the round a name.")]
        if errors:
            raise ValidationError(errors)
        before = set(locked.chapters.values_list("pk", flat=True))
        locked.name = name
        locked.save(update_fields=["name"])
        locked.chapters.set(chapters)
        locked.jurisdictions.set(jurisdictions)
        _event(locked, RoundChange.CHANGED, by=by, note=note.strip())
        _start_review_of_drafts(
            [c for c in chapters if c.pk not in before], by=by, note=f"Added to round {name}"
        )
    round.name = name
    return locked


# --- Who may review what, when


def open_rounds_for(chapter: Chapter, user: User, at: datetime | None = None) -> RoundQuerySet:
    """The rounds open at `at` that cover the chapter and, for counterparts, invite them."""
    rounds = Round.objects.open_at(at or clock.now()).filter(chapters=chapter)
    if policies.handbooks.can(user, "see_drafts"):
        return rounds
    return rounds.filter(jurisdictions=user.jurisdiction_id)


def can_review(chapter: Chapter, user: User, at: datetime | None = None) -> bool:
    """May the user comment on and suggest changes to the chapter now?

    Editors may on every chapter they can read, at any time. A counterpart only while the
    chapter is in review and a round that covers it and invites their jurisdiction is open.
    """
    if policies.handbooks.can(user, "see_drafts"):
        return True
    return current_window(chapter, user, at) is not None


def current_window(
    chapter: Chapter, user: User, at: datetime | None = None
) -> tuple[str, datetime] | None:
    """For a counterpart: the open round (name, closing time) through which they review the
    chapter now, the latest-closing one; None if there is none (or the chapter is not in review).
    """
    if chapter.status != Status.IN_REVIEW or user.jurisdiction_id is None:
        return None
    found = _latest_open_window(chapter, user, at or clock.now())
    return None if found is None else (found.name, found.closes_at)


def reviewed_before(chapter: Chapter, user: User, at: datetime | None = None) -> bool:
    """Has a round that invited the user's jurisdiction to review the chapter closed already?

    Read from the rounds `current_window` fetched for the page, so it costs no query more; a
    yes is the cue to ask comments.rereview which version that was.
    """
    if user.jurisdiction_id is None:
        return False
    at = at or clock.now()
    return any(w.closes_at <= at for w in _windows(chapter, user))


class Window(NamedTuple):
    pk: int
    name: str
    opens_at: datetime
    closes_at: datetime


def _latest_open_window(chapter: Chapter, user: User, at: datetime) -> Window | None:
    """Of the user's rounds on the chapter, the latest-closing one open at `at` (no query more
    than `_windows`)."""
    open_now = [w for w in _windows(chapter, user) if w.opens_at <= at < w.closes_at]
    return max(open_now, key=lambda w: (w.closes_at, w.name), default=None)


def _windows(chapter: Chapter, user: User) -> list[Window]:
    """When the user's rounds on this chapter are open: fetched once per chapter object and user.

    A chapter page asks `can_review` several times (the page, its forms, the thread cards);
    the object lives for one request, so rounds changed meanwhile do not matter.
    """
    memo: dict[int, list[Window]] = chapter.__dict__.setdefault("_review_windows", {})
    if user.pk not in memo:
        memo[user.pk] = [
            Window(*row)
            for row in Round.objects.filter(
                chapters=chapter, jurisdictions=user.jurisdiction_id
            ).values_list("pk", "name", "opens_at", "closes_at")
        ]
    return memo[user.pk]


@dataclass(frozen=True)
class ReviewWindow:
    round: Round
    closes_at: datetime


def review_window(chapter: Chapter, user: User, at: datetime | None = None) -> ReviewWindow | None:
    """The open round through which the user reviews the chapter, the latest-closing one."""
    found = open_rounds_for(chapter, user, at).order_by("-closes_at", "-pk").first()
    return None if found is None else ReviewWindow(round=found, closes_at=found.closes_at)


# --- Chapter workflow

Guard = Callable[[Chapter], list[str]]


def has_text(chapter: Chapter) -> list[str]:
    return [] if chapter.body.strip() else [_("The chapter has no text.")]


def no_open_round(chapter: Chapter) -> list[str]:
    return no_open_rounds([chapter])[chapter.pk]


def no_open_rounds(chapters: list[Chapter]) -> dict[int, list[str]]:
    """`no_open_round` for many chapters in one query: {chapter pk: reasons}."""
    names: dict[int, list[str]] = {c.pk: [] for c in chapters}
    for chapter_id, name in (
        Round.chapters.through.objects.filter(
            chapter__in=list(names), round__in=Round.objects.open_at(clock.now())
        )
        .order_by("round__name", "round")
        .values_list("chapter", "round__name")
    ):
        names[chapter_id].append(name)
    return {
        pk: [_("Review round still open: %(names)s") % {"names": ", ".join(found)}] if found else []
        for pk, found in names.items()
    }


def _collect(signal: Any, chapter: Chapter) -> list[str]:
    return [
        reason
        for _receiver, reasons in signal.send(Chapter, chapter=chapter)
        for reason in reasons or []
    ]


def approval_blockers(chapter: Chapter) -> list[str]:
    """What stands between the chapter and approval, e.g. ["3 open suggestions"].

    The comments app answers through the `approval_check` signal (chapters does not know it).
    """
    return _collect(approval_check, chapter)


def draft_blockers(chapter: Chapter) -> list[str]:
    """What keeps a chapter in review from going back to draft: the discussion already on it."""
    return _collect(draft_check, chapter)


@dataclass(frozen=True)
class Step:
    label: StrOrPromise
    guard: Guard | None = None
    # Reopening an approved chapter undoes a decision: say why, always.
    note_required: bool = False
    # The same guard for many chapters in a fixed number of queries (moving chapters together);
    # without it, `guard` is asked chapter by chapter.
    guard_many: Callable[[list[Chapter]], dict[int, list[str]]] | None = None


TRANSITIONS: dict[tuple[Status, Status], Step] = {
    (Status.DRAFT, Status.IN_REVIEW): Step(gettext_lazy("Send to review"), has_text),
    (Status.IN_REVIEW, Status.CONSOLIDATION): Step(
        gettext_lazy("Move to consolidation"), no_open_round, guard_many=no_open_rounds
    ),
    (Status.IN_REVIEW, Status.DRAFT): Step(gettext_lazy("Back to draft"), draft_blockers),
    (Status.CONSOLIDATION, Status.IN_REVIEW): Step(
        gettext_lazy("Back to review for another round")
    ),
    (Status.CONSOLIDATION, Status.APPROVED): Step(gettext_lazy("Approve"), approval_blockers),
    (Status.APPROVED, Status.CONSOLIDATION): Step(gettext_lazy("Reopen"), note_required=True),
}


def next_states(status: str) -> list[Status]:
    return [target for (source, target) in TRANSITIONS if source == status]


def blockers(chapter: Chapter, to: str) -> list[str]:
    """Why the guard of the step from the chapter's state to `to` refuses it (empty: it allows)."""
    step = TRANSITIONS.get((Status(chapter.status), Status(to)))
    if step is None or step.guard is None:
        return []
    return step.guard(chapter)


def blockers_of(chapters: list[Chapter], to: str) -> dict[int, list[str]]:
    """`blockers` for many chapters at once, {chapter pk: reasons}, as the page that moves
    chapters together shows them. A guard that can judge them all in one query does (the round
    check); the discussion checks, answered by the comments floor through a signal, are asked
    one chapter at a time."""
    found: dict[int, list[str]] = {}
    target = Status(to)
    for source in {Status(c.status) for c in chapters}:
        group = [c for c in chapters if c.status == source]
        step = TRANSITIONS.get((source, target))
        if step is None or step.guard is None:
            found.update({c.pk: [] for c in group})
        elif step.guard_many is not None:
            found.update(step.guard_many(group))
        else:
            found.update({c.pk: step.guard(c) for c in group})
    return found


def transition(
    chapter: Chapter,
    *,
    to: str,
    by: User,
    note: str = "",
    override: bool = False,
    source: str | None = None,
) -> Transition:
    """Move a chapter to the next workflow state, checked against its state inside the lock.

    The chapter row is locked, so two editors moving it at once are serialised and the second
    is judged against the state the first left. A failing guard refuses the step unless an
    editor overrides it and says why; the override is recorded with the transition. With
    `source`, the step is only taken from that state: an editor who chose "back to review"
    for chapters in consolidation does not send a chapter that went back to draft meanwhile.
    """
    policies.chapters.require(by, "move")
    note = note.strip()
    try:
        target = Status(to)
    except ValueError as error:
        raise IllegalTransition(_("“%(to)s” is not a workflow state.") % {"to": to}) from error
    with transaction.atomic():
        locked = Chapter.objects.select_for_update().get(pk=chapter.pk)
        now_in = Status(locked.status)
        if source is not None and now_in != source:
            raise IllegalTransition(
                _("It is “%(status)s” now, no longer “%(source)s”.")
                % {"status": now_in.label, "source": Status(source).label}
            )
        step = TRANSITIONS.get((now_in, target))
        if step is None:
            raise IllegalTransition(
                _("A chapter cannot go from “%(source)s” to “%(target)s”.")
                % {"source": now_in.label, "target": target.label}
            )
        if step.note_required and not note:
            raise GuardFailed([_("Give a note saying why.")])
        reasons = step.guard(locked) if step.guard else []
        if reasons and not override:
            raise GuardFailed(reasons)
        if reasons and not note:
            raise GuardFailed([*reasons, _("An override needs a reason in the note.")])
        record = _record(locked, to=target, by=by, note=note, override=bool(reasons))
    chapter.status = target
    return record


@dataclass(frozen=True)
class Moved:
    """What moving chapters together did: the chapters moved, and those refused with why."""

    moved: list[Chapter]
    refused: list[tuple[Chapter, list[str]]]


def move_together(
    chapters: Iterable[Chapter], *, source: str, to: str, by: User, note: str = ""
) -> Moved:
    """Take one workflow step with several chapters, each as `transition` takes it alone.

    One transaction per chapter, not one for all: the steps are independent records, each
    judged under its own chapter's lock against the chapter as it is then. A chapter that
    changed since the editor chose it (a round opened on it, someone moved it) is refused and
    reported with its reasons while the others move: one stale chapter does not undo the rest,
    and no lock is held on the whole handbook while the discussion checks run. A guard is
    never overridden here; an override is decided, and explained, one chapter at a time.
    """
    policies.chapters.require(by, "move")
    moved: list[Chapter] = []
    refused: list[tuple[Chapter, list[str]]] = []
    for chapter in chapters:
        try:
            transition(chapter, to=to, by=by, note=note, override=False, source=source)
        except GuardFailed as error:
            refused.append((chapter, error.reasons))
        except IllegalTransition as error:
            refused.append((chapter, [str(error)]))
        else:
            moved.append(chapter)
    return Moved(moved=moved, refused=refused)


def _record(chapter: Chapter, *, to: Status, by: User, note: str, override: bool) -> Transition:
    source = chapter.status
    Chapter.objects.filter(pk=chapter.pk).update(status=to)
    chapter.status = to
    return Transition.objects.create(
        chapter=chapter,
        source=source,
        target=to,
        by=by,
        at=clock.now(),
        note=note,
        override=override,
    )


# --- Sign-off


def _check_signer(round: Round, chapter: Chapter, user: User) -> None:
    policies.rounds.require(user, "sign_off")
    where = user.jurisdiction_id
    if where is None or not round.jurisdictions.filter(pk=where).exists():
        raise PermissionDenied(_("Your jurisdiction is not invited to this round."))
    state = round.state(clock.now())
    if state != "open":
        raise SignOffRefused(
            _("The round is not open yet.") if state == "scheduled" else _("The round has closed.")
        )
    if not round.chapters.filter(pk=chapter.pk).exists():
        raise SignOffRefused(_("This chapter is not part of the round."))


def coordinated(jurisdiction_ids: Iterable[int]) -> set[int]:
    """Those of the jurisdictions that have an active coordinator, whose vote
    (comments/actions/ballots.py) takes the place of the sign-off. One query."""
    return set(
        User.objects.filter(
            is_active=True,
            jurisdiction__in=list(jurisdiction_ids),
            groups__name=Role.COORDINATOR.value,
        )
        .order_by()
        .values_list("jurisdiction", flat=True)
        .distinct()
    )


def has_coordinator(jurisdiction_id: int | None) -> bool:
    return jurisdiction_id is not None and bool(coordinated([jurisdiction_id]))


def sign_off(round: Round, chapter: Chapter, *, by: User, verdict: str) -> SignOff:
    """Record that the signer's jurisdiction has reviewed the chapter in this round.

    Only for a jurisdiction without a coordinator: where there is one, its vote is the
    jurisdiction's word on the chapter.
    """
    try:
        verdict = Verdict(verdict)
    except ValueError as error:
        raise SignOffRefused(_("Choose “with comments” or “no comments”.")) from error
    _check_signer(round, chapter, by)
    assert by.jurisdiction_id is not None  # noqa: S101 (checked by _check_signer)
    if has_coordinator(by.jurisdiction_id):
        raise SignOffRefused(
            _("%(jurisdiction)s's coordinator votes for it.") % {"jurisdiction": by.jurisdiction}
        )
    try:
        with transaction.atomic():
            return SignOff.objects.create(
                round=round,
                chapter=chapter,
                jurisdiction_id=by.jurisdiction_id,
                verdict=verdict,
                by=by,
                at=clock.now(),
            )
    except IntegrityError as error:
        raise SignOffRefused(
            _("Your jurisdiction has already signed off this chapter in this round.")
        ) from error


def withdraw_sign_off(sign_off: SignOff, *, by: User) -> SignOff:
    """Take back a sign-off while the round is open; someone of the same jurisdiction only."""
    if by.jurisdiction_id != sign_off.jurisdiction_id:
        raise PermissionDenied(_("Only your own jurisdiction's sign-off can be withdrawn."))
    with transaction.atomic():
        locked = SignOff.objects.select_for_update().select_related("round").get(pk=sign_off.pk)
        _check_signer(locked.round, sign_off.chapter, by)
        if locked.withdrawn_at is not None:
            raise SignOffRefused(_("This sign-off was already withdrawn."))
        locked.withdrawn_at = clock.now()
        locked.withdrawn_by = by
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    sign_off.withdrawn_at, sign_off.withdrawn_by = locked.withdrawn_at, by
    return locked


@dataclass(frozen=True)
class ChapterSignOff:
    """The sign-off box of a chapter page: the round open for the reader's jurisdiction on
    this chapter, its standing sign-off (if any), whether its coordinator votes instead, and
    the next chapter of the round the jurisdiction has not signed off."""

    round: Window
    standing: SignOff | None
    by_vote: bool
    next_chapter: Chapter | None


def chapter_sign_off(chapter: Chapter, user: User) -> ChapterSignOff | None:
    """None unless the user may sign off for their jurisdiction and a round inviting it to
    review this chapter is open now. The round comes from the windows the page has fetched
    already; then whether a coordinator votes, and (if not) the jurisdiction's sign-offs in
    the round: two small queries, three once signed off, none for anyone else."""
    if (
        chapter.status != Status.IN_REVIEW
        or user.jurisdiction_id is None
        or not policies.rounds.can(user, "sign_off")
    ):
        return None
    found = _latest_open_window(chapter, user, clock.now())
    if found is None:
        return None
    if has_coordinator(user.jurisdiction_id):
        return ChapterSignOff(round=found, standing=None, by_vote=True, next_chapter=None)
    given = {
        s.chapter_id: s
        for s in SignOff.objects.filter(
            round_id=found.pk, jurisdiction_id=user.jurisdiction_id, withdrawn_at__isnull=True
        ).select_related("by")
    }
    standing = given.get(chapter.pk)
    following = None
    if standing is not None:  # "next chapter to review" is offered once this one is done
        later = (
            Chapter.objects.filter(rounds=found.pk, status=Status.IN_REVIEW)
            .select_related("handbook")
            .exclude(pk__in=list(given))
            .order_by("number")
        )
        following = later.filter(number__gt=chapter.number).first() or later.first()
    return ChapterSignOff(round=found, standing=standing, by_vote=False, next_chapter=following)
