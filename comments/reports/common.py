"""What more than one report uses: the round rule (which round a page opens on, how a deadline is
told, which threads a round counts) and the link to a thread on its chapter page.

The round rule, shared by the dashboard and the matrix: a thread belongs to a round when it is on
one of the round's chapters and was opened while the round was open (opens_at <= created_at <
closes_at). Blockers are the exception: an open suggestion blocks approval whenever it was made,
so they are counted over all of a chapter's threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from chapters.models import Handbook, Round, RoundState
from comments.models import Decision

# --- Rounds


def default_round(rounds: Sequence[Round], at: datetime) -> Round | None:
    """The latest round open at `at`, or None (the whole handbook) when none is open."""
    open_now = [r for r in rounds if r.is_open(at)]
    return max(open_now, key=lambda r: r.opens_at) if open_now else None


def time_left(round_: Round, at: datetime) -> str:
    """ "closes in 2 days", "opens in 5 hours" or "closed": how a deadline is told at a glance."""
    state = round_.state(at)
    if state == RoundState.CLOSED:
        return _("closed")
    if state == RoundState.SCHEDULED:
        return _("opens in %(time)s") % {"time": timeuntil(round_.opens_at, at, depth=1)}
    return _("closes in %(time)s") % {"time": timeuntil(round_.closes_at, at, depth=1)}


def in_round(round_: Round) -> Q:
    """Threads counted in a round: opened on its chapters while it was open (see module doc)."""
    return Q(
        chapter__rounds=round_,
        created_at__gte=round_.opens_at,
        created_at__lt=round_.closes_at,
    )


def latest(decisions: list[Decision]) -> Decision | None:
    return decisions[-1] if decisions else None


def thread_url(book: Handbook, chapter_id: int, thread_id: int) -> str:
    return (
        reverse("chapter", args=[book.slug, chapter_id]) + f"?thread={thread_id}#thread-{thread_id}"
    )
