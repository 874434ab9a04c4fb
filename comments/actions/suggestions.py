"""Proposing, accepting (as proposed or modified), rejecting, withdrawing, resolving a conflict and
deciding many at once. Each owns its transaction, locks the chapter before the suggestion, and
tells the proposer after the commit (comments/notices.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter
from comments import anchoring, merging, notices, policies
from comments.actions.reanchoring import reanchor_threads
from comments.actions.recording import write_disposition
from comments.actions.threads import (
    open_thread,
)
from comments.models import (
    UNDECIDED,
    UNDO_MINUTES,
    BulkRun,
    Category,
    Conflict,
    Decision,
    DispositionKind,
    Kind,
    NotAllowed,
    Suggestion,
    SuggestionStatus,
    Thread,
    ThreadStatus,
    Visibility,
)
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User


@transaction.atomic
def propose(
    chapter: Chapter,
    *,
    by: User,
    anchor: anchoring.Anchor,
    source_start: int,
    source_end: int,
    whole_block: bool,
    replacement: str,
    rationale: str,
    visibility: str = Visibility.EVERYONE,
    section: str = "",
    mention_candidates: list[User] | None = None,
    category: str = Category.EDITORIAL,
    essential: bool = False,
) -> Suggestion:
    """Propose replacing chapter.body[source_start:source_end] of the current version.

    An empty range proposes an insertion there; `section` (a heading id) marks the rewrite of a
    whole section, whose thread is on the section's heading.
    """
    original = chapter.body[source_start:source_end]
    if replacement == original:
        raise NotAllowed(_("The replacement is the same as the original text."))
    thread = open_thread(
        chapter,
        by=by,
        anchor=anchor,
        body=rationale,
        visibility=visibility,
        section=section,
        mention_candidates=mention_candidates,
        category=category,
        essential=essential,
    )
    Thread.objects.filter(pk=thread.pk).update(kind=Kind.SUGGESTION)
    thread.kind = Kind.SUGGESTION
    return Suggestion.objects.create(
        thread=thread,
        base_version=chapter.version,
        source_start=source_start,
        source_end=source_end,
        original=original,
        replacement=replacement,
        whole_block=whole_block,
    )


def locked(suggestion: Suggestion) -> tuple[Chapter, Suggestion]:
    """Lock the chapter row, then the suggestion: every decision on a chapter queues here."""
    chapter = Chapter.objects.select_for_update().get(pk=suggestion.thread.chapter_id)
    fresh = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("thread__author__jurisdiction")
        .get(pk=suggestion.pk)
    )
    return chapter, fresh


def accept(
    suggestion: Suggestion,
    *,
    by: User,
    replacement: str | None = None,
    reason: str = "",
    reconsider: bool = False,
    announce: bool = True,
) -> Decision:
    """Accept a suggestion (optionally with the editor's modified replacement).

    Serialised on the chapter row: the merge is computed against the text as it is inside the
    lock, so two editors accepting at once both land, one after the other. A clean merge makes
    exactly one new version credited to the proposer; other open suggestions whose words that
    version changed become conflicted. A conflict changes no text: the suggestion is marked
    conflicted (that is kept) and Conflict is raised after the transaction.

    The acceptance is the suggestion's disposition (accepted, or accepted with modification).
    `reconsider` lets a revised disposition accept a suggestion that was rejected (its
    rejection contested): its words are merged into the text as it is now, like any other.
    """
    if not policies.suggestions.can(by, "decide"):
        raise NotAllowed(_("Only editors decide on suggestions."))
    with transaction.atomic():
        chapter, fresh = locked(suggestion)
        if fresh.status not in UNDECIDED and not (
            reconsider and fresh.status == SuggestionStatus.REJECTED
        ):
            raise NotAllowed(_("This suggestion was already decided."))
        text = fresh.replacement if replacement is None else replacement
        result = fresh.merge(chapter, text)
        if result.outcome != merging.Outcome.CONFLICT:
            return record_acceptance(
                chapter,
                fresh,
                # Already applied: the text stays as it is.
                body=result.text if result.text is not None else chapter.body,
                applied_text=text,
                kind=Decision.Kind.ACCEPTED
                if text == fresh.replacement
                else Decision.Kind.MODIFIED,
                by=by,
                reason=reason,
                announce=announce,
            )
        mark_conflicted(fresh)
    raise Conflict(fresh, result)


def record_acceptance(
    chapter: Chapter,
    suggestion: Suggestion,
    *,
    body: str,
    applied_text: str,
    kind: str,
    by: User,
    reason: str,
    how: str = "",
    announce: bool = True,
) -> Decision:
    """Write an accepted suggestion: the new version (if the text changes), its status, the
    closed thread, the decision and the disposition it is, and the re-check of the other open
    suggestions."""
    proposer = suggestion.proposer
    source = suggestion.thread.word_review
    if source is not None:
        # The version record says where the words came from (issue 15): the file and uploader.
        how += f", from the Word file “{source.filename}” uploaded by {source.uploaded_by.name}"
        if suggestion.thread.word_author:
            how += f" (Word author: {suggestion.thread.word_author})"
    if body != chapter.body:
        chapter.revise(
            body=body,
            by=by,
            base_version=chapter.version,
            credited_to=proposer,
            reason=(
                f"Accepted suggestion #{suggestion.number} by {proposer.name} "
                f"({proposer.jurisdiction}, {proposer.get_agency_display()}){how}"
            ),
        )
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.applied_version = chapter.version
    suggestion.save(update_fields=["status", "applied_version"])
    close_thread(suggestion.thread, by=by)
    decision = Decision.objects.create(
        suggestion=suggestion,
        kind=kind,
        by=by,
        reason=reason,
        applied_text=applied_text,
        version=chapter.version,
    )
    write_disposition(
        suggestion.thread,
        by=by,
        kind=DispositionKind.MODIFIED
        if kind == Decision.Kind.MODIFIED
        else DispositionKind.ACCEPTED,
        reason=reason,
        applied_text=applied_text if kind == Decision.Kind.MODIFIED else "",
        decision=decision,
        version=chapter.version,
    )
    if announce:
        transaction.on_commit(partial(notices.notify_decision, decision), robust=True)
    recheck_open_suggestions(chapter, exclude=suggestion.pk)
    return decision


def recheck_open_suggestions(chapter: Chapter, *, exclude: int) -> None:
    """After the text changed, mark conflicted every open suggestion that no longer applies."""
    others = list(
        Suggestion.objects.select_for_update(of=("self",))
        .filter(thread__chapter=chapter, status=SuggestionStatus.OPEN)
        .exclude(pk=exclude)
        .order_by("pk")
    )
    # Each base version's text once, in one query, however many suggestions share it.
    older = {other.base_version for other in others} - {chapter.version}
    bases = dict(chapter.history.filter(version__in=older).values_list("version", "body"))
    bases[chapter.version] = chapter.body
    for other in others:
        if (
            other.merge(chapter, base=bases.get(other.base_version)).outcome
            == merging.Outcome.CONFLICT
        ):
            mark_conflicted(other)


def mark_conflicted(suggestion: Suggestion) -> None:
    if suggestion.status == SuggestionStatus.CONFLICTED:
        return
    suggestion.status = SuggestionStatus.CONFLICTED
    suggestion.save(update_fields=["status"])
    decision = Decision.objects.create(suggestion=suggestion, kind=Decision.Kind.CONFLICTED)
    transaction.on_commit(partial(notices.notify_decision, decision), robust=True)
    suggestion.thread.touch()


def close_thread(thread: Thread, *, by: User) -> None:
    if thread.status == ThreadStatus.OPEN:
        thread.status = ThreadStatus.RESOLVED
        thread.resolved_by = by
        thread.resolved_at = clock.now()
        thread.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])


REJECTING = frozenset(
    {
        DispositionKind.NOT_ACCEPTED,
        DispositionKind.NOTED,
        DispositionKind.DEFERRED,
        DispositionKind.DUPLICATE,
    }
)


@transaction.atomic
def reject(
    suggestion: Suggestion,
    *,
    by: User,
    reason: str,
    kind: str = DispositionKind.NOT_ACCEPTED,
    duplicate_of: Thread | None = None,
    announce: bool = True,
) -> Decision:
    """Reject with a reason, which the proposer will read.

    The rejection is the suggestion's disposition: not accepted by default, or noted, deferred
    to a later edition, or a duplicate of `duplicate_of` (comments.actions.dispositions checks
    that link before it calls this).
    """
    if not policies.suggestions.can(by, "decide"):
        raise NotAllowed(_("Only editors decide on suggestions."))
    if not reason.strip():
        raise NotAllowed(_("Say why the suggestion is rejected."))
    if kind not in REJECTING:
        raise NotAllowed(
            _("A suggestion is rejected as not accepted, noted, deferred or a duplicate.")
        )
    chapter, fresh = locked(suggestion)
    if fresh.status not in UNDECIDED:
        raise NotAllowed(_("This suggestion was already decided."))
    fresh.status = SuggestionStatus.REJECTED
    fresh.save(update_fields=["status"])
    close_thread(fresh.thread, by=by)
    decision = Decision.objects.create(
        suggestion=fresh, kind=Decision.Kind.REJECTED, by=by, reason=reason.strip()
    )
    write_disposition(
        fresh.thread,
        by=by,
        kind=kind,
        reason=reason.strip(),
        duplicate_of=duplicate_of,
        decision=decision,
        version=chapter.version,
    )
    if announce:
        transaction.on_commit(partial(notices.notify_decision, decision), robust=True)
    return decision


@transaction.atomic
def withdraw(suggestion: Suggestion, *, by: User) -> Decision:
    if by.pk != suggestion.thread.author_id:
        raise NotAllowed(_("Only its proposer may withdraw a suggestion."))
    _chapter, fresh = locked(suggestion)
    if fresh.status not in UNDECIDED:
        raise NotAllowed(_("This suggestion was already decided."))
    fresh.status = SuggestionStatus.WITHDRAWN
    fresh.save(update_fields=["status"])
    close_thread(fresh.thread, by=by)
    decision = Decision.objects.create(suggestion=fresh, kind=Decision.Kind.WITHDRAWN, by=by)
    transaction.on_commit(partial(notices.notify_decision, decision), robust=True)
    return decision


@transaction.atomic
def resolve_conflict(
    suggestion: Suggestion, *, by: User, replacement: str, reason: str = "", announce: bool = True
) -> Decision:
    """Accept a conflicted suggestion with wording the editor wrote against the current text.

    The conflict view shows base, proposed and current text; the editor's replacement takes the
    place of the current text where the suggestion's words were.
    """
    if not policies.suggestions.can(by, "decide"):
        raise NotAllowed(_("Only editors decide on suggestions."))
    chapter, fresh = locked(suggestion)
    if fresh.status != SuggestionStatus.CONFLICTED:
        raise NotAllowed(_("Only a conflicted suggestion is resolved this way."))
    result = fresh.merge(chapter)
    if result.start is None or result.end is None:
        raise NotAllowed(_("The suggestion's place in the current text cannot be found."))
    return record_acceptance(
        chapter,
        fresh,
        body=chapter.body[: result.start] + replacement + chapter.body[result.end :],
        applied_text=replacement,
        kind=Decision.Kind.MODIFIED,
        by=by,
        reason=reason,
        how=", resolved against the current text",
        announce=announce,
    )


@dataclass
class BulkReport:
    decided: list[Suggestion]
    stopped_at: Suggestion | None = None
    error: str = ""
    run: BulkRun | None = None


def decide_many(
    suggestions: list[Suggestion], *, by: User, action: str, reason: str = ""
) -> BulkReport:
    """Accept or reject a filtered set in document order, stopping at the first that fails.

    Each decision is its own transaction, so those made before a conflict stay made, and the
    report says which one stopped the run and why. What was decided is recorded as a BulkRun,
    which its editor may undo for a few minutes (undo_bulk).
    """
    report = BulkReport(decided=[])
    if not suggestions:
        return report
    chapter_pk = suggestions[0].thread.chapter_id
    before = Chapter.objects.values_list("version", flat=True).get(pk=chapter_pk)
    decisions = []
    for suggestion in sorted(suggestions, key=lambda s: (s.source_start, s.pk)):
        try:
            if action == "accept":
                decisions.append(accept(suggestion, by=by, reason=reason))
            else:
                decisions.append(reject(suggestion, by=by, reason=reason))
        except (Conflict, NotAllowed) as error:
            report.stopped_at, report.error = suggestion, str(error)
            break
        report.decided.append(suggestion)
    if decisions:
        report.run = BulkRun.objects.create(
            chapter_id=chapter_pk, action=action, by=by, version_before=before
        )
        report.run.decisions.set(decisions)
    return report


class CannotUndo(NotAllowed):
    pass


@transaction.atomic
def undo_bulk(run: BulkRun, *, by: User) -> list[Suggestion]:
    """Undo a bulk decision within UNDO_MINUTES: its suggestions open again, each with a
    'reopened' decision that says so, their threads open, without the disposition the run gave
    them; an acceptance's text is restored by a new version (recorded, with the reason), never
    by rewriting history.

    Only the editor who ran it, and only while the chapter holds nothing but what the run wrote:
    if anyone changed the text since, or decided one of its suggestions again, undoing would
    undo their work too, so it is refused and each decision is reconsidered on its own.
    Suggestions the run's text made conflicted are opened again where they apply once more.
    """
    if by.pk != run.by_id or not policies.suggestions.can(by, "decide"):
        raise CannotUndo(_("Only the editor who made these decisions may undo them."))
    chapter = Chapter.objects.select_for_update().get(pk=run.chapter_id)
    run = BulkRun.objects.select_for_update().get(pk=run.pk)
    if run.undone_at is not None:
        raise CannotUndo(_("These decisions were undone already."))
    now = clock.now()
    if not run.undoable(now):
        raise CannotUndo(
            _("These decisions can be undone for %(n)d minutes only; reconsider each instead.")
            % {"n": UNDO_MINUTES}
        )
    decisions = list(run.decisions.select_related("suggestion__thread").order_by("pk"))
    suggestions = [d.suggestion for d in decisions]
    made = {d.version for d in decisions if d.version is not None} - {run.version_before}
    since = set(
        chapter.history.filter(version__gt=run.version_before).values_list("version", flat=True)
    )
    if since != made:
        raise CannotUndo(
            _(
                "The chapter has changed since these decisions (version %(v)d); "
                "reconsider each decision on its own."
            )
            % {"v": chapter.version}
        )
    later = Decision.objects.filter(suggestion__in=suggestions, pk__gt=min(d.pk for d in decisions))
    if later.exclude(pk__in=[d.pk for d in decisions]).exists():
        raise CannotUndo(
            _("One of these suggestions was decided again since; reconsider each on its own.")
        )
    if made:
        before = chapter.history.get(version=run.version_before)
        chapter.revise(
            body=str(before.body),
            title=str(before.title),
            by=by,
            base_version=chapter.version,
            reason=(
                f"Undo of the bulk acceptance of "
                f"{', '.join(f'#{s.number}' for s in suggestions)} by {by.name}: "
                f"the text of version {run.version_before} restored"
            ),
        )
        run.undo_version = chapter.version
    reason = _("Undone by %(editor)s within %(n)d minutes of the bulk decision.") % {
        "editor": by.name,
        "n": UNDO_MINUTES,
    }
    for suggestion in suggestions:
        reopen_suggestion(chapter, suggestion, by=by, reason=str(reason))
    # What the run's text made conflicted and applies again on the restored text (the
    # candidates found first: PostgreSQL locks no rows of a DISTINCT query).
    made_conflicted = Decision.objects.filter(
        kind=Decision.Kind.CONFLICTED,
        suggestion__thread__chapter=chapter,
        at__gte=min(d.at for d in decisions),
    ).values("suggestion")
    for other in (
        Suggestion.objects.select_for_update(of=("self",))
        .filter(pk__in=made_conflicted, status=SuggestionStatus.CONFLICTED)
        .select_related("thread")
        .order_by("pk")
    ):
        if other.merge(chapter).outcome != merging.Outcome.CONFLICT:
            reopen_suggestion(chapter, other, by=by, reason=str(reason))
    run.undone_at = now
    run.save(update_fields=["undone_at", "undo_version"])
    return suggestions


def reopen_suggestion(chapter: Chapter, suggestion: Suggestion, *, by: User, reason: str) -> None:
    """Open a decided suggestion again, as if never decided, with its thread: its anchor is
    brought to the current version, and the decision that reopened it is recorded and told."""
    suggestion.status = SuggestionStatus.OPEN
    suggestion.applied_version = None
    suggestion.save(update_fields=["status", "applied_version"])
    decision = Decision.objects.create(
        suggestion=suggestion, kind=Decision.Kind.REOPENED, by=by, reason=reason
    )
    thread = Thread.objects.select_for_update().get(pk=suggestion.thread_id)
    thread.status = ThreadStatus.OPEN
    thread.resolved_by = None
    thread.resolved_at = None
    thread.disposition = None
    thread.answer = ""
    fields = ["status", "resolved_by", "resolved_at", "disposition", "answer", "updated_at"]
    thread.save(update_fields=fields)
    if thread.anchored_version != chapter.version and not thread.is_orphaned:
        old = chapter.history.get(version=thread.anchored_version)
        reanchor_threads(
            chapter, previous_version=old.version, previous_body=old.body, threads=[thread]
        )
    transaction.on_commit(partial(notices.notify_decision, decision), robust=True)
