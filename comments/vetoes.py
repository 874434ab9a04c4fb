"""What the workflow asks of the discussion before a chapter moves: chapters cannot look here
itself, so it sends approval_check and draft_check and these receivers answer with reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chapters.models import Chapter
from chapters.signals import approval_check, draft_check
from comments.models import (
    SATISFIED,
    UNDECIDED,
    Kind,
    PositionKind,
    Suggestion,
    SuggestionStatus,
    Thread,
    Vote,
    VoteValue,
)

if TYPE_CHECKING:
    pass


# --- What the workflow asks of the discussion (chapters cannot look here itself)


@receiver(approval_check, dispatch_uid="comments.approval_check")
def open_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter is approved only when its suggestions are decided and its threads resolved."""
    suggestions = Suggestion.objects.filter(thread__chapter=chapter, status__in=UNDECIDED).count()
    # Held back as internal: the jurisdiction's own business, which editors neither see nor count.
    threads = (
        Thread.objects.open()
        .filter(chapter=chapter, kind=Kind.COMMENT)
        .exclude(position=PositionKind.INTERNAL)
        .count()
    )
    reasons = []
    if suggestions:
        reasons.append(
            ngettext("%(n)s open suggestion", "%(n)s open suggestions", suggestions)
            % {"n": suggestions}
        )
    if threads:
        reasons.append(
            ngettext("%(n)s open thread", "%(n)s open threads", threads) % {"n": threads}
        )
    return reasons


def needing_disposition(threads: QuerySet[Thread]) -> QuerySet[Thread]:
    """Those of `threads` that must have a disposition before their chapter is approved: made by
    counterparts through a round, but for withdrawn suggestions, threads merged into another and
    threads their coordinator held back as internal. (The dashboard counts with it too.)"""
    return (
        threads.filter(round__isnull=False, merged_into__isnull=True)
        .exclude(position=PositionKind.INTERNAL)
        .exclude(kind=Kind.SUGGESTION, suggestion__status=SuggestionStatus.WITHDRAWN)
    )


@receiver(approval_check, dispatch_uid="comments.approval_check.dispositions")
def undisposed(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter is approved only when every comment of its rounds has its disposition."""
    n = (
        needing_disposition(Thread.objects.filter(chapter=chapter))
        .filter(disposition__isnull=True)
        .count()
    )
    if not n:
        return []
    return [
        ngettext("%(n)s comment without a disposition", "%(n)s comments without a disposition", n)
        % {"n": n}
    ]


@receiver(approval_check, dispatch_uid="comments.standing_disapprovals")
def standing_disapprovals(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter is not approved while a jurisdiction's standing disapproval (its latest vote in
    any round of the chapter) names an essential comment not yet accepted or accepted with
    modification. Two queries whatever the number of votes and comments."""
    latest: dict[int, Vote] = {}
    # A jurisdiction's latest standing vote of any round is the one that speaks for it.
    for vote in (
        Vote.objects.filter(chapter=chapter, superseded_at__isnull=True)
        .select_related("jurisdiction")
        .order_by("round__opens_at", "at", "pk")
    ):
        latest[vote.jurisdiction_id] = vote
    blocking = [v for v in latest.values() if v.value == VoteValue.DISAPPROVE]
    if not blocking:
        return []
    unsatisfied: dict[int, list[int]] = {}
    for vote_id, thread_id, kind in Vote.essentials.through.objects.filter(
        vote__in=[v.pk for v in blocking]
    ).values_list("vote", "thread", "thread__disposition__kind"):
        if kind not in SATISFIED:
            unsatisfied.setdefault(vote_id, []).append(thread_id)
    reasons = []
    for vote in blocking:
        if vote.pk in unsatisfied:
            reasons.append(
                _("%(jurisdiction)s disapproves: essential comments %(comments)s not accepted")
                % {
                    "jurisdiction": vote.jurisdiction.name,
                    "comments": ", ".join(f"#{pk}" for pk in sorted(unsatisfied[vote.pk])),
                }
            )
    return reasons


@receiver(draft_check, dispatch_uid="comments.draft_check")
def any_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter that has been discussed stays in review: a draft would hide the discussion."""
    threads = Thread.objects.filter(chapter=chapter).count()
    if not threads:
        return []
    return [ngettext("%(n)s thread on it", "%(n)s threads on it", threads) % {"n": threads}]
