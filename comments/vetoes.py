"""What the workflow asks of the discussion before a chapter moves: chapters cannot look here
itself, so it sends approval_check and draft_check and these receivers answer with reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils.translation import ngettext

from chapters.models import Chapter
from chapters.signals import approval_check, draft_check
from comments.models import (
    UNDECIDED,
    Kind,
    PositionKind,
    Suggestion,
    SuggestionStatus,
    Thread,
)

if TYPE_CHECKING:
    pass


# --- What the workflow asks of the discussion (chapters cannot look here itself)


@receiver(approval_check, dispatch_uid="comments.approval_check")
def open_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter is approved only when its suggestions are decided and its threads resolved."""
    suggestions = Suggestion.objects.filter(thread__chapter=chapter, status__in=UNDECIDED).count()
    threads = Thread.objects.open().filter(chapter=chapter, kind=Kind.COMMENT).count()
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


@receiver(draft_check, dispatch_uid="comments.draft_check")
def any_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter that has been discussed stays in review: a draft would hide the discussion."""
    threads = Thread.objects.filter(chapter=chapter).count()
    if not threads:
        return []
    return [ngettext("%(n)s thread on it", "%(n)s threads on it", threads) % {"n": threads}]
