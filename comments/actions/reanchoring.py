"""Re-anchoring: after a chapter's text changes, every open thread's quote is looked for in the new
text and its position stored for the new version, in the revising transaction, under the lock.

`on_chapter_revised` is connected to chapters.signals.chapter_revised (comments/apps.py): the one
place where the chapters floor lets this floor react (an edit, a restore and a Word import all
revise on the chapters floor, which cannot name comments).
"""

from __future__ import annotations

from functools import partial  # noqa: F401
from typing import TYPE_CHECKING, Any

from django.db import connection

from chapters.models import Chapter
from comments import anchoring
from comments.models import (
    Anchor,
    Thread,
)

if TYPE_CHECKING:
    pass


def reanchor_threads(
    chapter: Chapter,
    *,
    previous_version: int,
    previous_body: str,
    threads: list[Thread] | None = None,
) -> list[anchoring.Reanchored]:
    """Move every open, anchored thread from the previous version's text to the current one.

    Runs inside the revising transaction, so the new version and its anchors commit together.
    Each thread's result is kept per version (`Anchor`), and the thread's current position is
    updated; a thread whose text cannot be found confidently becomes orphaned, never deleted.
    """
    if threads is None:
        threads = list(
            Thread.objects.open()
            .anchored()
            .filter(chapter=chapter, anchored_version=previous_version)
            .only("id", "chapter_id", "anchored_version", "start", "end", "current_exact")
        )
    if not threads:
        return []
    from chapters.models import plain_text

    old_text = plain_text(chapter.pk, previous_version, chapter.number, previous_body)
    new_text = chapter.plain_text()
    old_anchors = [
        anchoring.Anchor(
            start=t.start or 0,
            end=t.end or 0,
            quote=anchoring.Quote(
                exact=t.current_exact,
                prefix=old_text[max(0, (t.start or 0) - anchoring.CONTEXT) : t.start],
                suffix=old_text[t.end : (t.end or 0) + anchoring.CONTEXT],
            ),
        )
        for t in threads
    ]
    results = anchoring.reanchor(old_text, new_text, old_anchors)
    for thread, result in zip(threads, results, strict=True):
        thread.place(result.anchor, version=chapter.version)
    store_positions(threads, outcomes=[result.outcome.value for result in results])
    return results


def store_positions(threads: list[Thread], *, outcomes: list[str]) -> None:
    """Write the threads' new positions, and the `Anchor` of each at its new version (with
    its outcome), in as few statements as the database allows.

    Django's bulk_update builds a CASE expression per field and row in Python, which cost four
    times the re-anchoring itself, and bulk_create a model per row. PostgreSQL takes all rows
    in one statement over arrays (unnest: five parameters, not five per row); SQLite, in
    process, runs one small statement per row about as fast.
    """
    quote = connection.ops.quote_name
    table = quote(Thread._meta.db_table)
    anchors = quote(Anchor._meta.db_table)
    start, end = quote("start"), quote("end")
    rows = [
        (
            t.pk,
            t.anchored_version,
            t.start,
            t.end,
            t.current_exact,
            "" if t.start is None else t.current_exact,
            outcome,
        )
        for t, outcome in zip(threads, outcomes, strict=True)
    ]
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET anchored_version = %s, {start} = %s, {end} = %s, "  # noqa: S608 (names are ours)
                "current_exact = %s WHERE id = %s",
                [(*row[1:5], row[0]) for row in rows],
            )
            cursor.executemany(
                f"INSERT INTO {anchors} (thread_id, version, {start}, {end}, exact, outcome) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [(*row[:4], *row[5:]) for row in rows],
            )
            return
        ids, versions, starts, ends, current, exacts, kinds = (
            list(c) for c in zip(*rows, strict=True)
        )
        cursor.execute(
            f"UPDATE {table} AS t SET anchored_version = v.av, {start} = v.s, {end} = v.e, "  # noqa: S608
            "current_exact = v.ce FROM unnest(%s::bigint[], %s::integer[], %s::integer[], "
            "%s::integer[], %s::text[]) AS v(id, av, s, e, ce) WHERE t.id = v.id",
            [ids, versions, starts, ends, current],
        )
        cursor.execute(
            f"INSERT INTO {anchors} (thread_id, version, {start}, {end}, exact, outcome) "  # noqa: S608
            "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], "
            "%s::text[], %s::text[])",
            [ids, versions, starts, ends, exacts, kinds],
        )


def on_chapter_revised(
    sender: Any, *, chapter: Chapter, previous_version: int, previous_body: str, **kwargs: Any
) -> None:
    reanchor_threads(chapter, previous_version=previous_version, previous_body=previous_body)
