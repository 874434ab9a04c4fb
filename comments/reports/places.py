"""Where a thread stands in its chapter, and how report cells are written.

A thread's place is the (version, offset) its quote stands at (for an orphaned thread, where it
last stood); the section is the last heading at or before it (the headings of a version, cached
with the version), and the paragraph the line of the version's text it falls on. Used by the
disposition report (comments/reports/disposition.py); cells are neutralised against formula
injection and cut to a spreadsheet's limits.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chapters import rendering
from chapters.models import Chapter, plain_text, rendered_html
from comments.models import Anchor, Comment
from handbook_review import caching
from handbook_review.dates import moment
from handbook_review.spreadsheets import neutralise

if TYPE_CHECKING:
    from comments.models import Thread


# --- Cells

# Excel's limit on the characters in one cell.
CELL_MAX = 32_767


def local_iso(at: datetime | None) -> str:
    return timezone.localtime(at).isoformat(timespec="seconds") if at else ""


def comment_text(comment: Comment | None) -> str:
    if comment is None:
        return ""
    if comment.deleted_at is not None:
        return _("[deleted by its author]")
    if comment.hidden_by_id is not None:
        return _("[hidden by an editor: %(reason)s]") % {"reason": comment.hidden_reason}
    return comment.body


def reply_line(comment: Comment) -> str:
    who = comment.author.name
    if comment.author_jurisdiction is not None:
        who += f" ({comment.author_jurisdiction.name})"
    return f"{who}, {moment(comment.created_at)}: {comment_text(comment)}"


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


# --- Where a position falls: sections of a chapter version


@dataclass(frozen=True)
class Section:
    offset: int  # where the heading starts in the version's plain text
    number: str
    text: str


def sections_of_html(html: str) -> list[Section]:
    return [
        Section(offset=offset, number=heading.number, text=heading.text)
        for offset, heading in rendering.heading_offsets(html)
    ]


def sections(chapter_id: int, version: int, number: int, body: str) -> list[Section]:
    """The headings of one version with their offsets, cached with the version like its HTML."""
    key = f"chapter-sections:{chapter_id}:{version}:{number}:{rendering.RENDERER_VERSION}"
    return caching.versioned(
        key, lambda: sections_of_html(rendered_html(chapter_id, version, number, body))
    )


def section_at(found: list[Section], offset: int) -> Section | None:
    """The section whose heading is the last to start at or before `offset`."""
    current = None
    for section in found:
        if section.offset > offset:
            break
        current = section
    return current


@dataclass(frozen=True)
class Layout:
    """What a place is told by in one version: its sections and where each line starts."""

    sections: list[Section]
    lines: list[int]  # offsets in the version's plain text where a non-blank line starts


def line_starts(text: str) -> list[int]:
    starts = []
    at = 0
    for line in text.split("\n"):
        if line.strip():
            starts.append(at)
        at += len(line) + 1
    return starts


def layout(chapter_id: int, version: int, number: int, body: str) -> Layout:
    return Layout(
        sections=sections(chapter_id, version, number, body),
        lines=line_starts(plain_text(chapter_id, version, number, body)),
    )


def paragraph_at(found: Layout, offset: int, section: Section | None) -> str:
    """ "§3": the third block (paragraph, list item, table row) after the section's heading,
    counted in lines of the version's text; "heading" for words in the heading itself."""
    after = section.offset if section is not None else -1
    first = bisect.bisect_right(found.lines, after)
    upto = bisect.bisect_right(found.lines, offset)
    n = upto - first
    if section is not None and n == 0:
        return _("heading")
    return f"§{max(n, 1)}"


def known_places(threads: list[Thread]) -> dict[int, tuple[int, int]]:
    """(version, offset) where each thread stands, or, for an orphaned one, where it last stood.

    An accepted suggestion's words are gone from the version it made, so its thread is orphaned
    there, yet it belongs to the section it changed. One query, for orphaned threads only.
    """
    places: dict[int, tuple[int, int]] = {}
    orphans = []
    for t in threads:
        if t.start is None:
            orphans.append(t.pk)
        else:
            places[t.pk] = (t.anchored_version, t.start)
    if orphans:
        for thread_id, version, start in (
            Anchor.objects.filter(thread__in=orphans, start__isnull=False)
            .order_by("version", "pk")
            .values_list("thread", "version", "start")
        ):
            if start is not None:
                places[thread_id] = (version, start)  # the latest wins
    return places


def layout_index(
    threads: list[Thread], places: dict[int, tuple[int, int]]
) -> dict[tuple[int, int], Layout]:
    """Sections and lines of every (chapter, version) a thread stands in: cached per version,
    and one query for the bodies of older versions (resolved threads stay where they were)."""
    index: dict[tuple[int, int], Layout] = {}
    chapters = {t.chapter_id: t.chapter for t in threads}
    old: set[tuple[int, int]] = set()
    for t in threads:
        if t.pk not in places:
            continue
        version = places[t.pk][0]
        c = t.chapter
        if version == c.version:
            if (c.pk, version) not in index:
                index[c.pk, version] = layout(c.pk, c.version, c.number, c.body)
        else:
            old.add((c.pk, version))
    if old:
        wanted = Q(pk__in=[])
        for chapter_id, version in old:
            wanted |= Q(id=chapter_id, version=version)
        for past in Chapter.history.filter(wanted).only("id", "version", "body"):
            number = chapters[past.id].number
            index[past.id, past.version] = layout(past.id, past.version, number, past.body)
    return index


ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_value(value: Any) -> Any:
    """A cell of the CSV (and the text cells of the spreadsheet): a number as it is, a moment in
    ISO 8601 with its offset, the rest as safe text."""
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return local_iso(value)
    if value is None:
        return ""
    text = ILLEGAL_IN_XLSX.sub("", str(value))
    if len(text) > CELL_MAX:
        text = text[: CELL_MAX - 1] + "…"
    return neutralise(text)
