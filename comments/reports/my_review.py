"""A counterpart's own review page: the open rounds of the user's jurisdiction with each
chapter's sign-off and open threads, and what became of the user's own suggestions and comment
threads, each with its disposition and the answer to it (a coordinator also sees their
jurisdiction's). Seven queries whatever their number (eight for a coordinator).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook, Round, SignOff, Verdict
from chapters.review import has_coordinator
from comments import policies
from comments.models import Decision, Kind, Suggestion, Thread, Vote, VoteValue
from comments.reports.common import latest, thread_url, time_left

if TYPE_CHECKING:
    from handbook_review.people.models import User


# --- A counterpart's own review


@dataclass
class ScopeChapter:
    chapter: Chapter
    url: str
    verdict: str | None
    open_threads: int  # open threads of the user's jurisdiction they can see
    # A jurisdiction with a coordinator votes instead of signing off: its standing vote.
    by_vote: bool = False
    vote: str | None = None

    @property
    def sign_off_label(self) -> str:
        if self.by_vote:
            if self.vote is None:
                return _("no vote cast yet")
            return _("voted: %(value)s") % {"value": VoteValue(self.vote).label}
        if self.verdict == Verdict.WITH_COMMENTS:
            return _("signed off with comments")
        if self.verdict == Verdict.NO_COMMENTS:
            return _("signed off, no comments")
        return _("not signed off yet")


@dataclass
class RoundScope:
    round: Round
    state: str
    time_left: str
    chapters: list[ScopeChapter]


@dataclass
class MySuggestion:
    suggestion: Suggestion
    url: str
    decision: Decision | None  # the latest


@dataclass
class MyThread:
    thread: Thread
    url: str
    replies: int


@dataclass
class MyReview:
    rounds: list[RoundScope]
    suggestions: list[MySuggestion]
    threads: list[MyThread]
    # A coordinator's: the threads of their jurisdiction's other officers, with dispositions.
    jurisdiction_threads: list[MyThread] = field(default_factory=list)
    can_coordinate: bool = False


def my_review(book: Handbook, user: User, *, at: datetime) -> MyReview:
    """What is open for the user's jurisdiction and what became of the user's own threads.

    Nine queries whatever the number of rounds, chapters, suggestions and threads: rounds,
    their chapters, the jurisdiction's sign-offs, whether it has a coordinator and then its
    standing votes, open threads per chapter, the user's suggestions and their decisions, the
    user's comment threads.
    """
    rounds = list(
        chapter_policies.rounds.visible_to(user)
        .filter(handbook=book, jurisdictions=user.jurisdiction_id, closes_at__gt=at)
        .order_by("closes_at", "pk")
    )
    visible_chapters = chapter_policies.chapters.visible_to(user)
    links = list(
        Round.chapters.through.objects.filter(
            round__in=[r.pk for r in rounds], chapter__in=visible_chapters
        )
        .select_related("chapter")
        .order_by("chapter__number")
    )
    chapter_ids = {link.chapter_id for link in links}
    verdicts = {
        (round_id, chapter_id): verdict
        for round_id, chapter_id, verdict in SignOff.objects.filter(
            round__in=[r.pk for r in rounds],
            jurisdiction=user.jurisdiction_id,
            withdrawn_at__isnull=True,
        )
        .order_by("at", "pk")
        .values_list("round", "chapter", "verdict")
    }
    by_vote = has_coordinator(user.jurisdiction_id)
    votes = (
        {
            (round_id, chapter_id): value
            for round_id, chapter_id, value in Vote.objects.filter(
                round__in=[r.pk for r in rounds],
                jurisdiction=user.jurisdiction_id,
                superseded_at__isnull=True,
            ).values_list("round", "chapter", "value")
        }
        if by_vote
        else {}
    )
    open_threads = dict(
        policies.threads.visible_to(user)
        .open()
        .filter(chapter__in=chapter_ids, author_jurisdiction=user.jurisdiction_id)
        .values_list("chapter")
        .annotate(n=Count("pk"))
        .values_list("chapter", "n")
        .order_by()
    )
    per_round: dict[int, list[ScopeChapter]] = defaultdict(list)
    for link in links:
        per_round[link.round_id].append(
            ScopeChapter(
                chapter=link.chapter,
                url=reverse("chapter", args=[book.slug, link.chapter_id]),
                verdict=verdicts.get((link.round_id, link.chapter_id)),
                open_threads=open_threads.get(link.chapter_id, 0),
                by_vote=by_vote,
                vote=votes.get((link.round_id, link.chapter_id)),
            )
        )
    scopes = [
        RoundScope(
            round=r,
            state=r.state(at),
            time_left=time_left(r, at),
            chapters=per_round.get(r.pk, []),
        )
        for r in rounds
    ]

    mine = policies.threads.visible_to(user).filter(author=user, chapter__handbook=book)
    suggestions = [
        MySuggestion(
            suggestion=s,
            url=thread_url(book, s.thread.chapter_id, s.thread_id),
            decision=latest(list(s.decisions.all())),
        )
        for s in Suggestion.objects.filter(thread__in=mine)
        .select_related("thread__chapter", "thread__disposition__by")
        .prefetch_related(
            Prefetch(
                "decisions", queryset=Decision.objects.select_related("by").order_by("at", "pk")
            )
        )
        .order_by("thread__chapter__number", "thread__created_at", "pk")
    ]
    threads = [
        MyThread(thread=t, url=thread_url(book, t.chapter_id, t.pk), replies=max(t.n - 1, 0))
        for t in mine.filter(kind=Kind.COMMENT)
        .select_related("chapter", "disposition__by")
        .annotate(n=Count("comments"))
        .order_by("chapter__number", "created_at", "pk")
    ]
    # A coordinator answers dispositions for their jurisdiction: one query more for them.
    coordinating = policies.dispositions.can(user, "coordinate") and user.jurisdiction_id
    theirs = []
    if coordinating:
        theirs = [
            MyThread(thread=t, url=thread_url(book, t.chapter_id, t.pk), replies=0)
            for t in policies.threads.visible_to(user)
            .filter(
                chapter__handbook=book,
                author_jurisdiction=user.jurisdiction_id,
                round__isnull=False,
            )
            .exclude(author=user)
            .select_related("chapter", "author", "disposition__by")
            .order_by("chapter__number", "created_at", "pk")
        ]
    return MyReview(
        rounds=scopes,
        suggestions=suggestions,
        threads=threads,
        jurisdiction_threads=theirs,
        can_coordinate=bool(coordinating),
    )
