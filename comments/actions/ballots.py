"""A jurisdiction's national position and ballot, as the US DOE's review system has a coordinator
consolidate an organisation's comments before they count: the coordinator endorses their
officers' threads, holds one back as internal, merges duplicates (or undoes any of that) while a
round inviting the jurisdiction is open on the chapter, and casts the jurisdiction's vote on each
chapter of a round. A disapproval names the essential comments behind it (comments/vetoes.py then
keeps the chapter from approval until they are satisfied).

Each is one function: it locks the chapter row, then the thread rows (primary-key order), checks
the policy and the state inside the lock, writes the written-once row (Position, Vote) and the
thread's denormalised `position`, and announces after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter, Round
from comments import notices, policies
from comments.models import NotAllowed, Position, PositionKind, Thread, Vote, VoteValue
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User

# A thread in one of these is consolidated; undo it first to consolidate it otherwise.
UNCONSOLIDATED = frozenset({"", PositionKind.OPEN})
# What a vote's essential comments may not be: not the jurisdiction's position.
NOT_COUNTED = frozenset({PositionKind.INTERNAL, PositionKind.MERGED})


def round_open_for(chapter: Chapter, jurisdiction_id: int | None) -> bool:
    """A round covering the chapter and inviting the jurisdiction is open now."""
    if jurisdiction_id is None:
        return False
    return (
        Round.objects.open_at(clock.now())
        .filter(chapters=chapter, jurisdictions=jurisdiction_id)
        .exists()
    )


def _locked(thread: Thread, *, by: User, also: Thread | None = None) -> tuple[Thread, ...]:
    """Lock the chapter, then the threads in primary-key order; check the coordinator and the
    round inside the lock. Returns the locked rows, `thread` first."""
    chapter = Chapter.objects.select_for_update().get(pk=thread.chapter_id)
    pks = sorted({thread.pk} | ({also.pk} if also is not None else set()))
    rows = {t.pk: t for t in Thread.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    locked = rows[thread.pk]
    if not policies.ballots.may_coordinate(by, locked):
        raise NotAllowed(_("Only a coordinator of the comment's jurisdiction may consolidate it."))
    if not round_open_for(chapter, locked.author_jurisdiction_id):
        raise NotAllowed(_("The round has closed: the comments can no longer be consolidated."))
    return (locked, rows[also.pk]) if also is not None else (locked,)


def _record(
    thread: Thread,
    kind: PositionKind,
    *,
    by: User,
    reason: str = "",
    into: Thread | None = None,
) -> Position:
    position = Position.objects.create(thread=thread, kind=kind, into=into, reason=reason, by=by)
    thread.position = kind
    thread.merged_into = into
    # The card shows the position: a new updated_at gives it a new cache key.
    thread.save(update_fields=["position", "merged_into", "updated_at"])
    return position


def _require_unconsolidated(thread: Thread) -> None:
    if thread.position not in UNCONSOLIDATED:
        raise NotAllowed(
            _("This comment is already consolidated (%(position)s): undo that first.")
            % {"position": thread.get_position_display()}
        )


@transaction.atomic
def endorse(thread: Thread, *, by: User) -> Position:
    """Make the thread the jurisdiction's position: editors see it marked so."""
    [locked] = _locked(thread, by=by)
    _require_unconsolidated(locked)
    position = _record(locked, PositionKind.ENDORSED, by=by)
    thread.position, thread.updated_at = locked.position, locked.updated_at
    return position


@transaction.atomic
def hold_back(thread: Thread, *, by: User, reason: str) -> Position:
    """Keep the thread inside the jurisdiction: no one else sees or counts it. Its author is
    told why."""
    reason = reason.strip()
    if not reason:
        raise NotAllowed(_("Say why the comment is held back: its author is told."))
    [locked] = _locked(thread, by=by)
    _require_unconsolidated(locked)
    if locked.merged.exists():
        raise NotAllowed(_("Other comments are merged into this one: undo those first."))
    position = _record(locked, PositionKind.INTERNAL, by=by, reason=reason)
    thread.position, thread.updated_at = locked.position, locked.updated_at
    transaction.on_commit(partial(notices.notify_position, position), robust=True)
    return position


@transaction.atomic
def merge(thread: Thread, *, into: Thread, by: User, reason: str = "") -> Position:
    """Merge a duplicate among the jurisdiction's own comments into another: the merged thread
    keeps its text and points to the one that speaks for both. Its author is told."""
    if into.pk == thread.pk:
        raise NotAllowed(_("A comment cannot be merged into itself."))
    locked, target = _locked(thread, by=by, also=into)
    if (
        target.chapter_id != locked.chapter_id
        or target.author_jurisdiction_id != locked.author_jurisdiction_id
    ):
        raise NotAllowed(
            _("A comment can be merged only into another of its jurisdiction on the same chapter.")
        )
    if target.position in NOT_COUNTED:
        raise NotAllowed(
            _("The comment to merge into is itself merged or held back: choose another.")
        )
    _require_unconsolidated(locked)
    if locked.merged.exists():
        raise NotAllowed(_("Other comments are merged into this one: undo those first."))
    position = _record(locked, PositionKind.MERGED, by=by, reason=reason.strip(), into=target)
    thread.position, thread.merged_into, thread.updated_at = (
        locked.position,
        target,
        locked.updated_at,
    )
    transaction.on_commit(partial(notices.notify_position, position), robust=True)
    return position


@transaction.atomic
def reopen_position(thread: Thread, *, by: User) -> Position:
    """Undo the consolidation of a thread: it is open for consolidation again."""
    [locked] = _locked(thread, by=by)
    if locked.position in UNCONSOLIDATED:
        raise NotAllowed(_("This comment is not consolidated: there is nothing to undo."))
    position = _record(locked, PositionKind.OPEN, by=by)
    thread.position, thread.merged_into, thread.updated_at = (
        locked.position,
        None,
        locked.updated_at,
    )
    return position


# --- The vote


def _check_voter(round: Round, chapter: Chapter, by: User) -> int:
    """The voter's jurisdiction, once the voter, the round and the chapter are checked."""
    jurisdiction_id = by.jurisdiction_id
    if not policies.ballots.can(by, "vote") or jurisdiction_id is None:
        raise NotAllowed(_("Only a coordinator casts the jurisdiction's vote."))
    if not round.jurisdictions.filter(pk=jurisdiction_id).exists():
        raise NotAllowed(_("Your jurisdiction is not invited to this round."))
    if not round.is_open(clock.now()):
        raise NotAllowed(_("The round is not open: no vote can be cast."))
    if not round.chapters.filter(pk=chapter.pk).exists():
        raise NotAllowed(_("This chapter is not part of the round."))
    return jurisdiction_id


def _essentials(chapter: Chapter, by: User, value: str, essentials: Iterable[int]) -> list[Thread]:
    """The essential comments a disapproval names: all of them of this chapter, of the voter's
    jurisdiction, essential, and counted (not held back or merged)."""
    wanted = {int(pk) for pk in essentials}
    if value != VoteValue.DISAPPROVE:
        if wanted:
            raise NotAllowed(_("Only a disapproval names essential comments."))
        return []
    if not wanted:
        raise NotAllowed(
            _("A disapproval needs at least one essential comment: say which stand in its way.")
        )
    found = list(
        Thread.objects.filter(
            pk__in=wanted,
            chapter=chapter,
            author_jurisdiction=by.jurisdiction_id,
            essential=True,
        ).exclude(position__in=NOT_COUNTED)
    )
    if len(found) != len(wanted):
        raise NotAllowed(
            _(
                "A disapproval can name only essential comments of your jurisdiction on this"
                " chapter that are not held back or merged."
            )
        )
    return found


def cast_vote(
    round: Round,
    chapter: Chapter,
    *,
    by: User,
    value: str,
    essentials: Iterable[int] = (),
    reason: str = "",
) -> Vote:
    """Cast (or change) the jurisdiction's vote on a chapter of a round.

    A changed vote is a new row; the standing one is marked superseded in the same transaction,
    with the chapter row and the standing vote locked, so two coordinators of one jurisdiction
    voting at once are serialised. The unique constraint on one standing vote is the backstop:
    should it fire, the vote is refused with a message, never half-written.
    """
    if value not in VoteValue.values:
        raise NotAllowed(_("Choose approve, approve with comments or disapprove."))
    jurisdiction_id = _check_voter(round, chapter, by)
    try:
        with transaction.atomic():
            locked = Chapter.objects.select_for_update().get(pk=chapter.pk)
            named = _essentials(locked, by, value, essentials)
            standing = (
                Vote.objects.select_for_update()
                .filter(
                    round=round,
                    chapter=locked,
                    jurisdiction=jurisdiction_id,
                    superseded_at__isnull=True,
                )
                .first()
            )
            now = clock.now()
            if standing is not None:
                Vote.objects.filter(pk=standing.pk).update(superseded_at=now)
            vote = Vote.objects.create(
                round=round,
                chapter=locked,
                jurisdiction_id=jurisdiction_id,
                value=value,
                reason=reason.strip(),
                version=locked.version,
                by=by,
            )
            vote.essentials.set(named)
            transaction.on_commit(partial(notices.notify_vote, vote), robust=True)
    except IntegrityError as error:
        raise NotAllowed(
            _("Another vote of your jurisdiction was cast at the same moment: reload and check it.")
        ) from error
    return vote


def standing_vote(round: Round, chapter: Chapter, jurisdiction_id: int) -> Vote | None:
    return Vote.objects.filter(
        round=round, chapter=chapter, jurisdiction=jurisdiction_id, superseded_at__isnull=True
    ).first()
