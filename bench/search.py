"""How fast search answers, and how fast a new version is indexed (issue 17's budgets).

A handbook of 30 chapters of 10,000 words, 50 versions each and 10,000 comments, in the bench's
scratch database. The chapters are made by the factories (their entries by the receivers, as in
the application); the earlier versions' entries and the threads, comments and their entries are
bulk-inserted rows made by the same functions the receivers use (comments/search/indexing.py),
because what is measured is the search over them, not how they came to be.

- ``search_ms``: the median server time of `/search/?q=…` for an editor and for a counterpart,
  over words of one, two and three terms, common and rare, Latin and Cyrillic.
- ``search_index_ms``: the median time of `Chapter.revise` of a 10,000-word chapter minus the
  same revise with the search receiver idle: what indexing a new version adds to the write.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from datetime import timedelta
from typing import Any

from seeding import HEADINGS, log_in, markdown_chapter, progress, sentence

CHAPTERS = 30
WORDS = 10_000
VERSIONS = 50
COMMENTS = 10_000
THREADS = 2_500

QUERIES = [
    "firearm",  # common
    "serial number",
    "border control officer",
    "deactivation",  # rare: in a few comments only
    "headstamp",
    "граница",  # Cyrillic query for Latin text
    "granična policija",  # Latin for Cyrillic comments
    "shqiperi",  # no diacritics for "Shqipëri"
    "cesk",  # a prefix
]


def seed_search(rng: random.Random) -> dict[str, Any]:
    from comments.models import Comment, EntryKind, SearchEntry, Thread
    from comments.search import indexing
    from comments.search.folding import fold
    from handbook_review.clock import now
    from handbook_review.people.models import Agency, Jurisdiction, Role
    from tests import factories

    codes = ["AL", "BA", "XK", "ME", "MK", "RS"]
    handbook = factories.handbook(slug="search-bench", codes=tuple(codes))
    jurisdictions = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    officers = {
        code: factories.user(
            Role.COUNTERPART, code=code, agency=Agency.BORDER_POLICE, name=f"Search officer {code}"
        )
        for code in codes
    }
    editor = factories.user(Role.EDITOR, code="RS", agency=Agency.OTHER, name="Search editor")
    started = time.perf_counter()
    chapters = [
        factories.chapter(
            handbook,
            by=editor,
            title=HEADINGS[n % len(HEADINGS)],
            body=markdown_chapter(WORDS, rng),
            in_round=False,
        )
        for n in range(CHAPTERS)
    ]
    factories.review_round(
        handbook,
        chapters,
        opens_at=now() - timedelta(hours=2),
        closes_at=now() + timedelta(days=30),
        by=editor,
        name="Search round",
    )
    progress(f"search: {CHAPTERS} chapters in {time.perf_counter() - started:.0f} s")

    # 49 earlier versions each: the current text with one sentence more per version, the way
    # an editor's versions differ.
    started = time.perf_counter()
    current = {e.chapter_id: e for e in SearchEntry.objects.filter(kind=EntryKind.CHAPTER)}
    versions = []
    for chapter in chapters:
        entry = current[chapter.pk]
        for version in range(1, VERSIONS):
            added = sentence(rng)
            versions.append(
                SearchEntry(
                    kind=EntryKind.VERSION,
                    handbook_id=handbook.pk,
                    chapter_id=chapter.pk,
                    version=version,
                    author_id=editor.pk,
                    written_at=now() - timedelta(days=VERSIONS - version),
                    title=entry.title,
                    body=f"{entry.body}\n{added}",
                    folded_title=entry.folded_title,
                    folded_body=f"{entry.folded_body}\n{fold(added)}",
                )
            )
    SearchEntry.objects.bulk_create(versions, batch_size=50)
    progress(f"search: {len(versions)} versions in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    texts = {c.pk: c.plain_text() for c in chapters}
    spots = {pk: list(re.finditer(r"\w+ \w+ \w+", text)) for pk, text in texts.items()}
    threads = []
    for n in range(THREADS):
        chapter = chapters[n % CHAPTERS]
        spot = rng.choice(spots[chapter.pk])
        code = codes[n % len(codes)]
        threads.append(
            Thread(
                chapter=chapter,
                author=officers[code],
                author_jurisdiction=jurisdictions[code],
                author_agency=Agency.BORDER_POLICE,
                version=chapter.version,
                exact=spot[0],
                prefix=texts[chapter.pk][max(0, spot.start() - 32) : spot.start()],
                suffix=texts[chapter.pk][spot.end() : spot.end() + 32],
                anchored_version=chapter.version,
                start=spot.start(),
                end=spot.end(),
                current_exact=spot[0],
            )
        )
    threads = Thread.objects.bulk_create(threads, batch_size=500)
    extra = [
        "Shqipëri, çështje e deaktivizimit.",
        "Гранична полиција проверава жиг на чаури.",
        "The headstamp shows the maker.",
        "Deactivation must be certified.",
    ]
    comments = []
    for n in range(COMMENTS):
        thread = threads[n % THREADS]
        body = sentence(rng) + (f" {extra[n % len(extra)]}" if n % 50 == 0 else "")
        comments.append(
            Comment(
                thread=thread,
                author=thread.author,
                author_jurisdiction=thread.author_jurisdiction,
                author_agency=thread.author_agency,
                body=body,
                body_html=f"<p>{body}</p>",
            )
        )
    comments = Comment.objects.bulk_create(comments, batch_size=1_000)
    SearchEntry.objects.bulk_create(
        (indexing.comment_entry(c, c.thread, handbook.pk) for c in comments), batch_size=1_000
    )
    progress(
        f"search: {THREADS} threads, {COMMENTS} comments in {time.perf_counter() - started:.0f} s"
    )
    return {"handbook": handbook, "editor": editor, "counterpart": officers["AL"],
            "chapter": chapters[0]}  # fmt: skip


def measure_search(seeded: Any, args: Any) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    rng = random.Random(args.seed)
    data = seed_search(rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE comments_searchentry")
    figures: dict[str, Any] = {}
    timings: list[float] = []
    per_query: dict[str, list[float]] = {}
    for who in ("editor", "counterpart"):
        client = Client()
        log_in(client, data[who])
        client.get("/search/", {"q": "border"})  # warm-up
        for query in QUERIES:
            for _ in range(3):
                started = time.perf_counter()
                response = client.get("/search/", {"q": query})
                timings.append((time.perf_counter() - started) * 1000)
                per_query.setdefault(f"{who} {query}", []).append(timings[-1])
                if response.status_code != 200:
                    raise SystemExit(f"bench: search {query!r} gave {response.status_code}")
    for name, times in per_query.items():
        progress(f"search {name!r}: {statistics.median(times):.0f} ms")
    figures["search_ms"] = round(statistics.median(timings), 1)
    figures["search_max_ms"] = round(max(timings), 1)
    figures["search_index_ms"] = index_cost(data)
    progress(f"search: {figures}")
    return figures


def index_cost(data: dict[str, Any]) -> float:
    """What indexing adds to one revise of a 10,000-word chapter: the receiver timed alone."""
    from comments.search import indexing

    chapter = data["chapter"]
    spent: list[float] = []
    original = indexing.index_revision

    def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        original(*args, **kwargs)
        spent.append((time.perf_counter() - started) * 1000)

    indexing.index_revision = timed  # type: ignore[assignment]
    try:
        for n in range(5):
            chapter.refresh_from_db()
            chapter.revise(
                body=chapter.body + f"\n\nA paragraph added in revision {n}.\n",
                by=data["editor"],
                reason="Search bench",
                base_version=chapter.version,
            )
    finally:
        indexing.index_revision = original  # type: ignore[assignment]
    return round(statistics.median(spent), 1)
