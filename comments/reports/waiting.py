"""The home page's "what is waiting for you", per handbook.

For someone who reviews for a jurisdiction: each round open (or about to open) for it, its
deadline and time left, how many of its chapters the jurisdiction has signed off (or, where a
coordinator votes, voted on), and the chapters still to do, the next one first. For editors: the
suggestions waiting for a decision and the comments waiting for a disposition, per chapter, the
chapters in consolidation, and the rounds running now.

A fixed number of queries whatever the number of handbooks, rounds and chapters: rounds, their
chapters, then sign-offs (or whether a coordinator votes, and votes) for a reviewer; undecided
suggestions, undisposed comments and chapters in consolidation (grouped) for an editor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count
from django.urls import reverse

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook, Round, RoundState, SignOff, Status
from chapters.review import has_coordinator
from comments import policies
from comments.models import UNDECIDED, Kind, Suggestion, SuggestionStatus, ThreadStatus, Vote
from comments.reports.common import time_left

if TYPE_CHECKING:
    from handbook_review.people.models import User

SOON = timedelta(days=3)  # a deadline this close is shown as urgent
SHOWN = 5  # chapters listed under a round or a count; the rest are behind a link


@dataclass
class ChapterLink:
    number: int
    title: str
    url: str
    count: int = 0


@dataclass
class RoundToDo:
    """A round open (or scheduled) for the reader's jurisdiction."""

    round: Round
    state: str
    time_left: str
    urgent: bool
    total: int  # chapters of the round in review that the reader can see
    done: int  # of them, signed off (or voted on) for the jurisdiction
    to_do: list[ChapterLink]  # the others, in order
    by_vote: bool

    @property
    def is_open(self) -> bool:
        return self.state == RoundState.OPEN


@dataclass
class EditorToDo:
    undecided: int = 0
    conflicted: int = 0
    undisposed: int = 0
    consolidation: list[ChapterLink] = field(default_factory=list)
    by_chapter: list[ChapterLink] = field(default_factory=list)  # undecided, most first
    rounds: list[RoundToDo] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.undecided or self.undisposed or self.consolidation or self.rounds)


@dataclass
class Waiting:
    handbook: Handbook
    rounds: list[RoundToDo] = field(default_factory=list)
    editor: EditorToDo | None = None


def chapter_url(book: Handbook, chapter_id: int) -> str:
    return reverse("chapter", args=[book.slug, chapter_id])


def waiting(books: Sequence[Handbook], user: User, *, at: datetime) -> list[Waiting]:
    """What waits for the user in each of the handbooks (which they can all see)."""
    found = {book.pk: Waiting(handbook=book) for book in books}
    if not found:
        return []
    reviews = chapter_policies.rounds.can(user, "sign_off") or policies.ballots.can(user, "vote")
    if user.jurisdiction_id is not None and reviews:
        for book_id, rounds in reviewer_rounds(found, user, at=at).items():
            found[book_id].rounds = rounds
    if policies.suggestions.can(user, "decide"):
        for book_id, work in editor_work(found, user, at=at).items():
            found[book_id].editor = work
    return list(found.values())


def reviewer_rounds(
    books: dict[int, Waiting], user: User, *, at: datetime
) -> dict[int, list[RoundToDo]]:
    rounds = list(
        chapter_policies.rounds.visible_to(user)
        .filter(handbook__in=list(books), jurisdictions=user.jurisdiction_id, closes_at__gt=at)
        .order_by("closes_at", "pk")
    )
    if not rounds:
        return {}
    links = list(
        Round.chapters.through.objects.filter(
            round__in=[r.pk for r in rounds],
            chapter__in=chapter_policies.chapters.visible_to(user),
            chapter__status=Status.IN_REVIEW,
        )
        .order_by("chapter__number")
        .values_list("round", "chapter", "chapter__number", "chapter__title")
    )
    by_vote = has_coordinator(user.jurisdiction_id)
    # A jurisdiction with a coordinator votes; the others sign off. Standing rows only.
    standing = (
        Vote.objects.filter(superseded_at__isnull=True)
        if by_vote
        else SignOff.objects.filter(withdrawn_at__isnull=True)
    )
    done = set(
        standing.filter(
            round__in=[r.pk for r in rounds], jurisdiction=user.jurisdiction_id
        ).values_list("round", "chapter")
    )
    per_round: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for round_id, chapter_id, number, title in links:
        per_round[round_id].append((chapter_id, number, title))
    result: dict[int, list[RoundToDo]] = defaultdict(list)
    for r in rounds:
        book = books[r.handbook_id].handbook
        chapters = per_round.get(r.pk, [])
        to_do = [
            ChapterLink(number=number, title=title, url=chapter_url(book, chapter_id))
            for chapter_id, number, title in chapters
            if (r.pk, chapter_id) not in done
        ]
        result[r.handbook_id].append(
            RoundToDo(
                round=r,
                state=r.state(at),
                time_left=time_left(r, at),
                urgent=r.is_open(at) and r.closes_at - at <= SOON,
                total=len(chapters),
                done=len(chapters) - len(to_do),
                to_do=to_do,
                by_vote=by_vote,
            )
        )
    return result


def editor_work(books: dict[int, Waiting], user: User, *, at: datetime) -> dict[int, EditorToDo]:
    result = {book_id: EditorToDo() for book_id in books}
    threads = policies.threads.visible_to(user).filter(chapter__handbook__in=list(books))
    undecided = (
        Suggestion.objects.filter(thread__in=threads, status__in=UNDECIDED)
        .values_list(
            "thread__chapter__handbook",
            "thread__chapter",
            "thread__chapter__number",
            "thread__chapter__title",
            "status",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_chapter: dict[tuple[int, int], ChapterLink] = {}
    for book_id, chapter_id, number, title, status, n in undecided:
        todo = result[book_id]
        todo.undecided += n
        if status == SuggestionStatus.CONFLICTED:
            todo.conflicted += n
        link = per_chapter.get((book_id, chapter_id))
        if link is None:
            link = per_chapter[book_id, chapter_id] = ChapterLink(
                number=number,
                title=title,
                url=chapter_url(books[book_id].handbook, chapter_id) + "?status=open",
            )
        link.count += n
    for (book_id, _chapter), link in per_chapter.items():
        result[book_id].by_chapter.append(link)
    for todo in result.values():
        todo.by_chapter.sort(key=lambda link: (-link.count, link.number))
    if policies.dispositions.can(user, "dispose"):
        for book_id, n in (
            threads.filter(kind=Kind.COMMENT, status=ThreadStatus.OPEN, disposition__isnull=True)
            .values_list("chapter__handbook")
            .annotate(n=Count("pk"))
            .values_list("chapter__handbook", "n")
            .order_by()
        ):
            result[book_id].undisposed = n
    for book_id, chapter_id, number, title in (
        Chapter.objects.filter(handbook__in=list(books), status=Status.CONSOLIDATION)
        .order_by("number")
        .values_list("handbook", "pk", "number", "title")
    ):
        result[book_id].consolidation.append(
            ChapterLink(
                number=number, title=title, url=chapter_url(books[book_id].handbook, chapter_id)
            )
        )
    for r in (
        chapter_policies.rounds.visible_to(user)
        .open_at(at)
        .filter(handbook__in=list(books))
        .order_by("closes_at", "pk")
    ):
        result[r.handbook_id].rounds.append(
            RoundToDo(
                round=r,
                state=r.state(at),
                time_left=time_left(r, at),
                urgent=r.closes_at - at <= SOON,
                total=0,
                done=0,
                to_do=[],
                by_vote=False,
            )
        )
    return result
