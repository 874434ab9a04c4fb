"""What a user finds: the entries of what their pages would show them (the policies'
visible_to: no drafts for counterparts, no editors-only threads of others, nothing held back
as internal by another jurisdiction, no hidden or deleted comment), matched by the engine,
narrowed by the filters, in groups, each hit with its highlighted passage and the address of
the place it was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from chapters import policies as chapter_policies
from chapters.models import Chapter, Handbook
from comments import policies
from comments.models import EntryKind, SearchEntry, SuggestionStatus, ThreadStatus
from comments.search import engines
from comments.search.folding import Snippet, snippet
from handbook_review.people.models import Jurisdiction, User

# Shown per group when no kind is chosen; per page of one kind.
FIRST = 5
PER_PAGE = 20

THREAD_STATUSES = frozenset(ThreadStatus.values)
SUGGESTION_STATUSES = frozenset(SuggestionStatus.values) - {SuggestionStatus.OPEN}
RELATED = (
    "chapter__handbook",
    "author",
    "jurisdiction",
    "thread__disposition",
    "thread__suggestion",
)


@dataclass(frozen=True)
class Filters:
    handbook: Handbook | None = None
    chapter: Chapter | None = None
    jurisdiction: Jurisdiction | None = None
    author: str = ""
    kind: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None


@dataclass
class Hit:
    entry: SearchEntry
    title: Snippet
    passage: Snippet
    url: str

    @property
    def kind(self) -> str:
        return self.entry.kind


@dataclass
class Group:
    kind: str
    label: str
    count: int
    hits: list[Hit]
    page: Page[Any] | None = None


@dataclass
class Results:
    words: list[str]
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


def visible(user: User, kind: str) -> QuerySet[SearchEntry]:
    """The entries of one kind that the user's pages would show them."""
    entries = SearchEntry.objects.filter(kind=kind)
    if kind in (EntryKind.CHAPTER, EntryKind.VERSION):
        return entries.filter(chapter__in=chapter_policies.chapters.visible_to(user))
    entries = entries.filter(thread__in=policies.threads.visible_to(user))
    if kind == EntryKind.COMMENT:
        # Removed from the index when hidden or deleted (indexing.py); asked here again.
        entries = entries.filter(comment__deleted_at__isnull=True, comment__hidden_by__isnull=True)
    return entries


def narrowed(entries: QuerySet[SearchEntry], kind: str, filters: Filters) -> QuerySet[SearchEntry]:
    if filters.handbook is not None:
        entries = entries.filter(handbook=filters.handbook)
    if filters.chapter is not None:
        entries = entries.filter(chapter=filters.chapter)
    if filters.jurisdiction is not None:
        entries = entries.filter(jurisdiction=filters.jurisdiction)
    if filters.author:
        entries = entries.filter(author__name__icontains=filters.author)
    if filters.status:
        if kind in (EntryKind.CHAPTER, EntryKind.VERSION):
            return entries.none()
        if filters.status in THREAD_STATUSES:
            entries = entries.filter(thread__status=filters.status)
        else:
            entries = entries.filter(thread__suggestion__status=filters.status)
    if filters.since is not None:
        entries = entries.filter(written_at__gte=start_of(filters.since))
    if filters.until is not None:
        entries = entries.filter(written_at__lt=start_of(filters.until, days=1))
    return entries


def start_of(day: date, *, days: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))


def search(user: User, query_words: list[str], filters: Filters, *, page: Any = 1) -> Results:
    """The groups of hits: every kind's first few, or one kind a page at a time."""
    results = Results(words=query_words)
    if not query_words:
        return results
    kinds = [filters.kind] if filters.kind else list(EntryKind.values)
    for kind in kinds:
        # The earlier versions of a chapter say nearly the same words: newest first, by
        # chapter, instead of an order by score that would interleave them.
        order = (
            ("chapter__handbook__title", "chapter__number", "-version")
            if kind == EntryKind.VERSION
            else None
        )
        found = engines.Found(
            narrowed(visible(user, kind), kind, filters),
            query_words,
            order=order,
            related=RELATED,
        )
        label = str(EntryKind(kind).label)
        if filters.kind:
            # Found counts and slices by pages, which is all a Paginator asks.
            paginator: Paginator[SearchEntry] = Paginator(cast(Any, found), PER_PAGE)
            shown = paginator.get_page(page)
            hits = [hit(entry, query_words) for entry in shown.object_list]
            results.groups.append(Group(kind, label, paginator.count, hits, page=shown))
        else:
            hits = [hit(entry, query_words) for entry in found[:FIRST]]
            count = len(hits) if len(hits) < FIRST else found.count()
            results.groups.append(Group(kind, label, count, hits))
    return results


def hit(entry: SearchEntry, words: list[str]) -> Hit:
    passage = snippet(entry.body, words)
    return Hit(
        entry=entry, title=snippet(entry.title, words, width=300), passage=passage,
        url=place(entry, passage),
    )  # fmt: skip


def place(entry: SearchEntry, passage: Snippet) -> str:
    """The exact place: a chapter or version scrolled to the words (a text fragment, which
    the browser finds and highlights), a thread opened on its chapter's page."""
    chapter = entry.chapter
    slug = chapter.handbook.slug
    if entry.kind in (EntryKind.COMMENT, EntryKind.SUGGESTION):
        return (
            reverse("chapter", args=[slug, chapter.pk])
            + f"?thread={entry.thread_id}#thread-{entry.thread_id}"
        )
    if entry.kind == EntryKind.VERSION:
        address = reverse("version", args=[slug, chapter.pk, entry.version])
    else:
        address = reverse("chapter", args=[slug, chapter.pk])
    if not passage.word:
        return address
    fragment = fragment_part(passage.word)
    if passage.before:
        fragment = f"{fragment_part(passage.before)}-,{fragment}"
    return f"{address}#:~:text={fragment}"


def fragment_part(text: str) -> str:
    # A text fragment's own syntax characters (- , &) must be escaped in the words.
    return quote(text, safe="").replace("-", "%2D")
