"""The one small interface over the two full-text engines: `matching(entries, words)` narrows
a queryset of SearchEntry to those containing every word (as a prefix) and annotates `score`
(higher is better; title words weigh more than body words).

PostgreSQL: the generated `document` tsvector (configuration `simple`: no stemming, the text
is folded already), its GIN index, `ts_rank`. SQLite: the FTS5 table and `bm25`, title
weighted 10 to the body's 1. Both get only folded words (folding.terms), never the user's
punctuation, so neither query syntax can be reached from the search box.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from comments.models import SearchEntry

FTS_TABLE = "comments_searchentry_fts"


def tsquery(words: list[str]) -> str:
    return " & ".join(f"{word}:*" for word in words)


def fts5_query(words: list[str]) -> str:
    return " ".join(f'"{word}"*' for word in words)


def matching(
    entries: QuerySet[SearchEntry], words: list[str], *, ranked: bool = True
) -> QuerySet[SearchEntry]:
    """The entries that contain every word; with a `score` when `ranked` (ranking reads each
    match's whole index entry: the earlier versions are listed newest first instead)."""
    if not words:
        return entries.none()
    if connection.vendor == "postgresql":
        query = tsquery(words)
        found = entries.filter(
            RawSQL(
                "comments_searchentry.document @@ to_tsquery('simple'::regconfig, %s)",
                [query],
                output_field=BooleanField(),
            )
        )
        if ranked:
            found = found.annotate(
                score=RawSQL(
                    "ts_rank(comments_searchentry.document, to_tsquery('simple'::regconfig, %s))",
                    [query],
                    output_field=FloatField(),
                )
            )
        return found
    query = fts5_query(words)
    found = entries.filter(
        # The table name is our constant; the query is a parameter.
        pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [query])  # noqa: S608, S611
    )
    if ranked:
        found = found.annotate(
            score=RawSQL(  # noqa: S611 (constant table name, parameterised query)
                f"SELECT -bm25({FTS_TABLE}, 10.0, 1.0) FROM {FTS_TABLE} "  # noqa: S608
                f"WHERE {FTS_TABLE} MATCH %s AND rowid = comments_searchentry.id",
                [query],
                output_field=FloatField(),
            )
        )
    return found


def best_first(entries: QuerySet[SearchEntry]) -> QuerySet[SearchEntry]:
    return entries.order_by(F("score").desc(nulls_last=True), "-written_at", "pk")
