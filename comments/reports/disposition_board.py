"""The dashboard's dispositions: per chapter, how many threads still wait for one and how many
the commenters contest (filtered by type); the threads behind a chosen figure; and, for a round,
its agenda: contested dispositions given before it opened, to be taken up again.

Four queries at most whatever the number of threads: the chapters, one grouped count, the
listed threads (only when a list is asked for) and the agenda (only for a round).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django_stubs_ext import StrOrPromise

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook, Round
from comments import policies
from comments.models import AnswerKind, Category, Thread
from comments.reports.common import thread_url
from comments.vetoes import needing_disposition

if TYPE_CHECKING:
    from handbook_review.people.models import User

SHOW = ("undisposed", "contested")
LISTED_AT_MOST = 200


@dataclass
class DispositionRow:
    chapter: Chapter
    url: str
    undisposed: int
    contested: int


@dataclass
class Listed:
    thread: Thread
    url: str


@dataclass
class DispositionBoard:
    rows: list[DispositionRow]
    category: str
    show: str
    listed: list[Listed] = field(default_factory=list)
    listed_total: int = 0
    agenda: list[Listed] = field(default_factory=list)

    @property
    def categories(self) -> list[tuple[str, StrOrPromise]]:
        return list(Category.choices)

    @property
    def contested(self) -> int:
        return sum(row.contested for row in self.rows)

    @property
    def undisposed(self) -> int:
        return sum(row.undisposed for row in self.rows)


def chosen_filters(category: str, show: str) -> tuple[str, str]:
    """Unknown values choose nothing (the whole set), never an error."""
    return (category if category in Category.values else "", show if show in SHOW else "")


def disposition_board(
    book: Handbook, user: User, *, round_: Round | None, category: str = "", show: str = ""
) -> DispositionBoard:
    category, show = chosen_filters(category, show)
    chapters_qs = chapter_policies.chapters.visible_to(user).filter(handbook=book)
    if round_ is not None:
        chapters_qs = chapters_qs.filter(rounds=round_)
    chapters = list(chapters_qs.order_by("number"))
    ids = [c.pk for c in chapters]
    threads = policies.threads.visible_to(user).filter(chapter__in=ids)
    if category:
        threads = threads.filter(category=category)
    undisposed = Q(pk__in=needing_disposition(Thread.objects.all()).values("pk")) & Q(
        disposition__isnull=True
    )
    contested = Q(answer=AnswerKind.CONTESTED)
    counts: dict[int, tuple[int, int]] = {
        row["chapter"]: (row["undisposed"], row["contested"])
        for row in threads.values("chapter")
        .annotate(
            undisposed=Count("pk", filter=undisposed), contested=Count("pk", filter=contested)
        )
        .order_by()
    }
    rows = [
        DispositionRow(
            chapter=c,
            url=reverse("chapter", args=[book.slug, c.pk]),
            undisposed=counts.get(c.pk, (0, 0))[0],
            contested=counts.get(c.pk, (0, 0))[1],
        )
        for c in chapters
    ]
    board = DispositionBoard(rows=rows, category=category, show=show)
    if show:
        chosen = threads.filter(undisposed if show == "undisposed" else contested)
        board.listed = listing(book, chosen, limit=LISTED_AT_MOST)
        board.listed_total = board.undisposed if show == "undisposed" else board.contested
    if round_ is not None:
        board.agenda = listing(
            book,
            threads.filter(contested, disposition__at__lt=round_.opens_at),
        )
    return board


def listing(book: Handbook, threads: QuerySet[Thread], *, limit: int | None = None) -> list[Listed]:
    ordered = threads.select_related(
        "chapter", "author", "author_jurisdiction", "disposition__by"
    ).order_by("chapter__number", "start", "pk")
    return [
        Listed(thread=t, url=thread_url(book, t.chapter_id, t.pk))
        for t in (ordered[:limit] if limit is not None else ordered)
    ]
