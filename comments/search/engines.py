"""The one small interface over the two full-text engines: `found(entries, words, order=...)`
is what of a queryset of SearchEntry contains every word (as a prefix), best first (title
words weigh more than body words) or in a given order; it counts and slices like a queryset,
so a Paginator pages it, and only the entries of the page are fetched whole.

PostgreSQL: the generated `document` tsvector (configuration `simple`: no stemming, the text
is folded already), its GIN index, `ts_rank`. SQLite: the FTS5 table and `bm25`, title
weighted 10 to the body's 1. Both get only folded words (folding.terms), never the user's
punctuation, so neither query syntax can be reached from the search box.

Why SQLite's ranking is a statement of its own: joined to the entries the ordinary way, the
planner walks the entries by an index and asks FTS5 about each row, which runs the MATCH once
per entry (ten seconds for a common word over ten thousand comments). `CROSS JOIN` keeps the
FTS5 table outside, so the MATCH runs once (milliseconds); the entries the user may see are
the queryset's own SQL as a subquery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, F, FloatField, QuerySet, Window
from django.db.models.expressions import RawSQL

from comments.models import SearchEntry

FTS_TABLE = "comments_searchentry_fts"
# What a hit shows comes from `body` and `title`; the folded copies are the index's alone.
UNSHOWN = ("folded_title", "folded_body", "chapter__body")


def tsquery(words: list[str]) -> str:
    return " & ".join(f"{word}:*" for word in words)


def fts5_query(words: list[str]) -> str:
    return " ".join(f'"{word}"*' for word in words)


class Found:
    """The entries of `entries` that contain every word; `order` None means best first."""

    def __init__(
        self,
        entries: QuerySet[SearchEntry],
        words: list[str],
        *,
        order: Sequence[str] | None = None,
        related: Sequence[str] = (),
    ) -> None:
        self.entries, self.words, self.order, self.related = entries, words, order, related
        self._count: int | None = None

    def matching(self) -> QuerySet[SearchEntry]:
        if not self.words:
            return self.entries.none()
        if connection.vendor == "postgresql":
            return self.entries.filter(
                RawSQL(
                    "comments_searchentry.document @@ to_tsquery('simple'::regconfig, %s)",
                    [tsquery(self.words)],
                    output_field=BooleanField(),
                )
            )
        return self.entries.filter(
            # The table name is our constant; the query is a parameter.
            pk__in=RawSQL(  # noqa: S611
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
                [fts5_query(self.words)],
            )
        )

    def count(self) -> int:
        if self._count is None:
            self._count = self.matching().order_by().count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[SearchEntry]:
        if not isinstance(part, slice) or part.step is not None:
            raise TypeError("Found is sliced by pages")
        start = part.start or 0
        stop = part.stop
        if stop is not None and stop <= start:
            return []
        # The page's ids first, its entries after: a sort that carried whole entries (the
        # text of a chapter each) through every match would read them all.
        if self.order is not None:
            ids = self._counted(self.matching().order_by(*self.order), start, stop)
        elif connection.vendor == "postgresql":
            ranked = self.matching().annotate(
                score=RawSQL(
                    "ts_rank(comments_searchentry.document, to_tsquery('simple'::regconfig, %s))",
                    [tsquery(self.words)],
                    output_field=FloatField(),
                )
            )
            ordered = ranked.order_by(F("score").desc(), "-written_at", "pk")
            ids = self._counted(ordered, start, stop)
        else:
            ids = self._sqlite_ranked_ids(start, stop)
        fetched = SearchEntry.objects.filter(pk__in=ids).select_related(*self.related)
        by_pk = {entry.pk: entry for entry in fetched.defer(*UNSHOWN)}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def _counted(self, ordered: QuerySet[SearchEntry], start: int, stop: int | None) -> list[int]:
        """The ids of the page, and on the way (a window over the same match) how many there
        are in all: one statement instead of two."""
        rows = list(ordered.values_list("pk", Window(Count("pk")))[start:stop])
        if rows:
            self._count = rows[0][1]
        return [pk for pk, _ in rows]

    def _sqlite_ranked_ids(self, start: int, stop: int | None) -> list[int]:
        if not self.words:
            return []
        visible, params = self.entries.order_by().values("pk").query.sql_with_params()
        limit = -1 if stop is None else stop - start
        # bm25 may not be read by a window; the inner statement ranks, the outer one counts.
        sql = (
            "SELECT id, COUNT(*) OVER () FROM ("  # noqa: S608 (constant table name)
            f"SELECT e.id AS id, bm25({FTS_TABLE}, 10.0, 1.0) AS rank, e.written_at AS at "
            f"FROM {FTS_TABLE} CROSS JOIN comments_searchentry e ON {FTS_TABLE}.rowid = e.id "
            f"WHERE {FTS_TABLE} MATCH %s AND e.id IN ({visible})"
            ") ORDER BY rank, at DESC, id LIMIT %s OFFSET %s"
        )
        arguments: list[Any] = [fts5_query(self.words), *params, limit, start]
        with connection.cursor() as cursor:
            cursor.execute(sql, arguments)
            rows = cursor.fetchall()
        if rows:
            self._count = rows[0][1]
        return [pk for pk, _ in rows]
