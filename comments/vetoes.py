"""What the workflow asks of the discussion before a chapter moves: chapters cannot look here
itself, so it sends approval_check and draft_check and these receivers answer with reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.dispatch import receiver
from django.utils.translation import ngettext

from chapters.models import Chapter
from chapters.signals import approval_check, draft_check
from comments.models import (
    UNDECIDED,
    Kind,
    Suggestion,
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


@receiver(draft_check, dispatch_uid="comments.draft_check")
def any_discussion(sender: Any, *, chapter: Chapter, **kwargs: Any) -> list[str]:
    """A chapter that has been discussed stays in review: a draft would hide the discussion."""
    threads = Thread.objects.filter(chapter=chapter).count()
    if not threads:
        return []
    return [ngettext("%(n)s thread on it", "%(n)s threads on it", threads) % {"n": threads}]
