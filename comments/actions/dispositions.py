"""Giving a thread its disposition (one at a time or a filtered set at once) and the commenter's
answer to it.

A disposition is written once: revising it writes a new row that replaces the current one, and
the thread points at the newest (comments.actions.recording). For a suggestion the decision is
its disposition, so dispose() decides it through comments.actions.suggestions, which writes
both rows; a suggestion decided on its own page ends in the same rows.

What may be revised, and why: a suggestion whose words were applied cannot be revised to a kind
that says they were not (not accepted, noted, deferred, duplicate): the text cannot be
un-applied silently, and the chapter's history would contradict its disposition. Its disposition
may only be given again with a new observation, keeping its kind and the text as applied; to
take the words out, the editor edits the chapter. A rejected suggestion may be revised to
another kind of rejection, or accepted after all (its words are then merged into the text as it
is now, or it conflicts like any other). A withdrawn suggestion needs, and takes, none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from chapters.models import Chapter, Status
from comments import notices, policies
from comments.actions.recording import write_disposition
from comments.actions.suggestions import accept, reject, resolve_conflict
from comments.models import (
    REASON_REQUIRED,
    SATISFIED,
    Answer,
    AnswerKind,
    Conflict,
    Disposition,
    DispositionKind,
    Kind,
    NotAllowed,
    Suggestion,
    SuggestionStatus,
    Thread,
)

if TYPE_CHECKING:
    from handbook_review.people.models import User


REASON_MAX_CHARS = 5000


def automatic_reason(kind: str, duplicate_of: Thread | None) -> str:
    """What a suggestion's rejection says when the editor gave a kind that explains itself."""
    if kind == DispositionKind.DEFERRED:
        return _("Deferred to a later edition.")
    if kind == DispositionKind.DUPLICATE and duplicate_of is not None:
        return _("A duplicate of comment #%(n)s.") % {"n": duplicate_of.pk}
    return ""


def check_disposition(
    thread: Thread,
    *,
    by: User,
    kind: str,
    reason: str,
    applied_text: str,
    duplicate_of: Thread | None,
) -> None:
    """Refuse, with a message the editor can act on, what dispose() must not write."""
    if not policies.dispositions.may_dispose(by, thread) or not policies.threads.can_see(
        by, thread
    ):
        raise NotAllowed(_("Only editors give comments their disposition."))
    if kind not in DispositionKind.values:
        raise NotAllowed(_("Choose a disposition."))
    if kind in REASON_REQUIRED and not reason:
        raise NotAllowed(_("Say why: the commenter will read it."))
    if len(reason) > REASON_MAX_CHARS or len(applied_text) > REASON_MAX_CHARS * 4:
        raise NotAllowed(_("The text is too long."))
    if kind == DispositionKind.MODIFIED and not applied_text and thread.kind == Kind.COMMENT:
        raise NotAllowed(_("Give the text as applied."))
    if kind == DispositionKind.DUPLICATE:
        if duplicate_of is None:
            raise NotAllowed(_("Say which comment this one duplicates."))
        if duplicate_of.pk == thread.pk:
            raise NotAllowed(_("A comment cannot be a duplicate of itself."))
        if duplicate_of.chapter.handbook_id != thread.chapter.handbook_id or not (
            policies.threads.can_see(by, duplicate_of)
        ):
            raise NotAllowed(_("There is no such comment in this handbook."))
        if Disposition.objects.filter(
            thread=duplicate_of,
            replaced_by__isnull=True,
            kind=DispositionKind.DUPLICATE,
            duplicate_of=thread.pk,
        ).exists():
            raise NotAllowed(
                _("Comment #%(n)s is itself marked a duplicate of this one.")
                % {"n": duplicate_of.pk}
            )
    elif duplicate_of is not None:
        raise NotAllowed(_("Only a duplicate names another comment."))


def dispose(
    thread: Thread,
    *,
    by: User,
    kind: str,
    reason: str = "",
    applied_text: str = "",
    duplicate_of: Thread | None = None,
    announce: bool = True,
) -> Disposition:
    """Give the thread a disposition, or revise the one it has (a new row replacing it).

    Serialised on the chapter row, then the thread row: two editors disposing of the same
    thread at once both land, one after the other, the later replacing the earlier, and the
    thread points at the later. The author is told after the commit (unless `announce` is
    False: dispose_many tells each author once for the run). Raises NotAllowed for what may not
    be written, and Conflict when accepting a suggestion whose words have changed.
    """
    reason, applied_text = reason.strip(), applied_text.strip("\n")
    check_disposition(
        thread,
        by=by,
        kind=kind,
        reason=reason,
        applied_text=applied_text,
        duplicate_of=duplicate_of,
    )
    if thread.kind == Kind.SUGGESTION:
        return dispose_suggestion(
            thread,
            by=by,
            kind=kind,
            reason=reason,
            applied_text=applied_text,
            duplicate_of=duplicate_of,
            announce=announce,
        )
    with transaction.atomic():
        chapter = Chapter.objects.select_for_update().get(pk=thread.chapter_id)
        return write_disposition(
            thread,
            by=by,
            kind=kind,
            reason=reason,
            applied_text=applied_text if kind == DispositionKind.MODIFIED else "",
            duplicate_of=duplicate_of,
            version=chapter.version,
            announce=announce,
        )


def dispose_suggestion(
    thread: Thread,
    *,
    by: User,
    kind: str,
    reason: str,
    applied_text: str,
    duplicate_of: Thread | None,
    announce: bool,
) -> Disposition:
    """A suggestion's disposition is its decision (see the module's doc for what may be
    revised): an undecided one is accepted or rejected; a decided one gets a new disposition
    within what its decision allows."""
    suggestion = Suggestion.objects.select_related("thread__chapter").get(thread=thread)
    status = suggestion.status
    if status == SuggestionStatus.WITHDRAWN:
        raise NotAllowed(_("A withdrawn suggestion needs no disposition."))
    if status == SuggestionStatus.ACCEPTED:
        return revise_applied(suggestion, by=by, kind=kind, reason=reason, announce=announce)
    if kind in SATISFIED:
        replacement = applied_text if kind == DispositionKind.MODIFIED and applied_text else None
        if status == SuggestionStatus.CONFLICTED and replacement is not None:
            decision = resolve_conflict(
                suggestion, by=by, replacement=replacement, reason=reason, announce=announce
            )
        else:
            decision = accept(
                suggestion,
                by=by,
                replacement=replacement,
                reason=reason,
                reconsider=True,
                announce=announce,
            )
        return Disposition.objects.get(decision=decision)
    reason = reason or automatic_reason(kind, duplicate_of)
    if not reason:
        raise NotAllowed(_("Say why: the commenter will read it."))
    if status == SuggestionStatus.REJECTED:
        # Still rejected, for another reason or as another kind: no new decision to make.
        with transaction.atomic():
            chapter = Chapter.objects.select_for_update().get(pk=thread.chapter_id)
            return write_disposition(
                thread,
                by=by,
                kind=kind,
                reason=reason,
                duplicate_of=duplicate_of,
                version=chapter.version,
                announce=announce,
            )
    decision = reject(
        suggestion, by=by, reason=reason, kind=kind, duplicate_of=duplicate_of, announce=announce
    )
    return Disposition.objects.get(decision=decision)


def revise_applied(
    suggestion: Suggestion, *, by: User, kind: str, reason: str, announce: bool
) -> Disposition:
    """A new observation on a suggestion whose words are in the text: same kind, same text as
    applied (see the module's doc)."""
    with transaction.atomic():
        chapter = Chapter.objects.select_for_update().get(pk=suggestion.thread.chapter_id)
        thread = Thread.objects.select_for_update().get(pk=suggestion.thread_id)
        current = Disposition.objects.filter(thread=thread, replaced_by__isnull=True).first()
        applied = current.kind if current is not None else DispositionKind.ACCEPTED
        if kind not in SATISFIED:
            raise NotAllowed(
                _(
                    "This suggestion's words are in the text: its disposition cannot say "
                    "otherwise. To take them out, edit the chapter."
                )
            )
        if kind != applied:
            raise NotAllowed(
                _("The words applied decide whether it was accepted as proposed or modified.")
            )
        if not reason:
            raise NotAllowed(_("Give the new observation."))
        return write_disposition(
            thread,
            by=by,
            kind=applied,
            reason=reason,
            applied_text=current.applied_text if current is not None else "",
            version=chapter.version,
            announce=announce,
        )


@dataclass
class DisposalReport:
    done: list[Thread] = field(default_factory=list)
    stopped_at: Thread | None = None
    error: str = ""


def dispose_many(threads: list[Thread], *, by: User, kind: str, reason: str = "") -> DisposalReport:
    """Give a filtered set of threads one disposition and one reason, in document order,
    stopping at the first that fails.

    Each is its own transaction, so those given before a failure stay given, and the report
    says which one stopped the run and why. Each author is told once for the whole run.
    """
    report = DisposalReport()
    given: list[Disposition] = []
    ordered = sorted(threads, key=lambda t: (t.start is None, t.start or 0, t.pk))
    try:
        for thread in ordered:
            try:
                given.append(dispose(thread, by=by, kind=kind, reason=reason, announce=False))
            except (Conflict, NotAllowed) as error:
                report.stopped_at, report.error = thread, str(error)
                break
            report.done.append(thread)
    finally:
        notices.notify_dispositions(given)
    return report


# --- The commenter's answer


def answer(
    thread: Thread, *, by: User, kind: str, reason: str = "", on: int | None = None
) -> Answer:
    """The author's (or their jurisdiction's coordinator's) answer to the current disposition.

    Only while the chapter is in consolidation, and only on the disposition the thread has now:
    `on` is the disposition the answer was written against, refused if it has been revised
    since. Contesting needs a reason: the editors take it to the next round.
    """
    if not policies.dispositions.may_answer(by, thread) or not policies.threads.can_see(by, thread):
        raise NotAllowed(
            _("Only the comment's author or their jurisdiction's coordinator may answer.")
        )
    reason = reason.strip()
    if kind not in AnswerKind.values:
        raise NotAllowed(_("Accept or contest the disposition."))
    if kind == AnswerKind.CONTESTED and not reason:
        raise NotAllowed(_("Say why you contest it."))
    if len(reason) > REASON_MAX_CHARS:
        raise NotAllowed(_("The text is too long."))
    with transaction.atomic():
        chapter = Chapter.objects.select_for_update().get(pk=thread.chapter_id)
        fresh = Thread.objects.select_for_update().get(pk=thread.pk)
        if chapter.status != Status.CONSOLIDATION:
            raise NotAllowed(_("Dispositions are answered while the chapter is in consolidation."))
        if fresh.disposition_id is None:
            raise NotAllowed(_("This comment has no disposition to answer yet."))
        if on is not None and on != fresh.disposition_id:
            raise NotAllowed(
                _("The disposition was revised since you read it: read it again and answer.")
            )
        given = Answer.objects.create(
            disposition_id=fresh.disposition_id, kind=kind, reason=reason, by=by
        )
        fresh.answer = kind
        fresh.save(update_fields=["answer", "updated_at"])
        thread.answer, thread.updated_at = fresh.answer, fresh.updated_at
        transaction.on_commit(partial(notices.notify_answer, given), robust=True)
    return given
