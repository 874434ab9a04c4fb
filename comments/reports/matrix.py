"""The comment resolution matrix: one row per thread in document order, with the section its
quote falls in (the sections of a chapter version, cached with the version), as CSV or XLSX.
Cells are neutralised against formula injection and cut to a spreadsheet's limits.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chapters import rendering
from chapters.models import Chapter, Handbook, Round, rendered_html
from comments import policies
from comments.models import Anchor, Comment, Decision, Kind, Thread
from comments.reports.common import in_round, latest, thread_url
from handbook_review import caching
from handbook_review.spreadsheets import neutralise

if TYPE_CHECKING:
    from handbook_review.people.models import User


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


# --- The comment resolution matrix


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # in characters, for the spreadsheet


COLUMNS = [
    Column("id", "ID", 7),
    Column("chapter", "Chapter", 28),
    Column("section", "Section", 9),
    Column("heading", "Section heading", 28),
    Column("quote", "Quoted text", 40),
    Column("jurisdiction", "Jurisdiction", 18),
    Column("agency", "Agency", 14),
    Column("author", "Author", 20),
    Column("type", "Type", 11),
    Column("visibility", "Visible to", 12),
    Column("text", "Comment or proposed wording", 50),
    Column("status", "Status", 12),
    Column("decision", "Editor's decision", 16),
    Column("rationale", "Proposer's rationale", 40),
    Column("reason", "Decision reason", 40),
    Column("applied", "Wording applied", 40),
    Column("decided_by", "Decided or resolved by", 18),
    Column("decided_at", "Decided or resolved at", 20),
    Column("created_at", "Opened at", 20),
    Column("replies", "Replies", 50),
    Column("link", "Link", 30),
]

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
    when = timezone.localtime(comment.created_at).strftime("%Y-%m-%d %H:%M")
    return f"{who}, {when}: {comment_text(comment)}"


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def matrix_threads(book: Handbook, user: User, *, round_: Round | None) -> list[Thread]:
    """Every thread of the matrix, with what its row shows: three queries however many."""
    threads = policies.threads.visible_to(user).filter(chapter__handbook=book)
    if round_ is not None:
        threads = threads.filter(in_round(round_))
    return list(
        threads.select_related(
            "chapter", "author", "author_jurisdiction", "resolved_by", "suggestion"
        ).prefetch_related(
            Prefetch(
                "comments",
                queryset=Comment.objects.select_related("author", "author_jurisdiction").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "suggestion__decisions",
                queryset=Decision.objects.select_related("by").order_by("at", "pk"),
            ),
        )
    )


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


def section_index(
    threads: list[Thread], places: dict[int, tuple[int, int]]
) -> dict[tuple[int, int], list[Section]]:
    """Sections of every (chapter, version) a thread stands in: cached per version, and one
    query for the bodies of older versions (resolved threads stay where they were)."""
    index: dict[tuple[int, int], list[Section]] = {}
    chapters = {t.chapter_id: t.chapter for t in threads}
    old: set[tuple[int, int]] = set()
    for t in threads:
        if t.pk not in places:
            continue
        version = places[t.pk][0]
        c = t.chapter
        if version == c.version:
            if (c.pk, version) not in index:
                index[c.pk, version] = sections(c.pk, c.version, c.number, c.body)
        else:
            old.add((c.pk, version))
    if old:
        wanted = Q(pk__in=[])
        for chapter_id, version in old:
            wanted |= Q(id=chapter_id, version=version)
        for past in Chapter.history.filter(wanted).only("id", "version", "body"):
            number = chapters[past.id].number
            index[past.id, past.version] = sections(past.id, past.version, number, past.body)
    return index


def matrix_rows(threads: list[Thread], book: Handbook) -> list[dict[str, Any]]:
    """One row per thread, in document order: its first comment is the comment (or the
    proposer's rationale), the later ones are joined as replies.

    Replies go in a column of their own rather than into the text: for a plain comment the
    editors' answer is usually a reply, and the record is incomplete without it, while the
    text column stays what the reviewer wrote.
    """
    places = known_places(threads)
    index = section_index(threads, places)
    base = site_url()
    rows = []
    for t in sorted(
        threads,
        key=lambda t: (t.chapter.number, t.pk not in places, places.get(t.pk, (0, 0))[1], t.pk),
    ):
        comments = list(t.comments.all())
        first = comments[0] if comments else None
        if t.pk not in places:
            section = None
            heading = _("(orphaned: the quoted words are no longer in the text)")
        else:
            version, offset = places[t.pk]
            section = section_at(index.get((t.chapter_id, version), []), offset)
            heading = section.text if section else _("(before the first heading)")
        suggestion = getattr(t, "suggestion", None) if t.kind == Kind.SUGGESTION else None
        row: dict[str, Any] = {
            "id": t.pk,
            "chapter": f"{t.chapter.number}. {t.chapter.title}",
            "section": section.number if section else "",
            "heading": heading,
            "quote": t.exact,
            "jurisdiction": t.author_jurisdiction.name if t.author_jurisdiction else "",
            "agency": t.get_author_agency_display(),
            "author": t.author.name,
            "type": t.get_kind_display(),
            "visibility": t.get_visibility_display(),
            "created_at": local_iso(t.created_at),
            "replies": "\n\n".join(reply_line(c) for c in comments[1:]),
            "link": base + thread_url(book, t.chapter_id, t.pk),
            "rationale": "",
            "decision": "",
            "reason": "",
            "applied": "",
            "decided_by": t.resolved_by.name if t.resolved_by else "",
            "decided_at": local_iso(t.resolved_at),
        }
        if suggestion is None:
            status = t.get_status_display()
            if t.start is None:
                status = _("%(status)s (orphaned)") % {"status": status}
            row.update(text=comment_text(first), status=status)
        else:
            last = latest(list(suggestion.decisions.all()))
            row.update(
                text=suggestion.replacement,
                status=suggestion.get_status_display(),
                rationale=comment_text(first),
            )
            if last is not None:
                row.update(
                    decision=last.get_kind_display(),
                    reason=last.reason,
                    applied=last.applied_text,
                    decided_by=last.by.name if last.by else "",
                    decided_at=local_iso(last.at),
                )
        rows.append(row)
    return rows


ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_value(value: Any) -> Any:
    if isinstance(value, int):
        return value
    text = ILLEGAL_IN_XLSX.sub("", str(value))
    if len(text) > CELL_MAX:
        text = text[: CELL_MAX - 1] + "…"
    return neutralise(text)


def matrix_title(book: Handbook, round_: Round | None, at: datetime) -> str:
    scope = round_.name if round_ is not None else _("whole handbook")
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")
    return _("Comment resolution matrix: %(book)s, %(scope)s (exported %(when)s)") % {
        "book": book.title,
        "scope": scope,
        "when": when,
    }


def matrix_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads Cyrillic and Albanian letters right."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.title for c in COLUMNS])
    for row in rows:
        writer.writerow([cell_value(row[c.key]) for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def matrix_xlsx(rows: list[dict[str, Any]], *, title: str, sheet: str) -> bytes:
    """A title row, a bold frozen header with a filter, sized and wrapped columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.worksheets[0]
    ws.title = re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Matrix"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([c.title for c in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for row in rows:
        ws.append([cell_value(row[c.key]) for c in COLUMNS])
    for line in ws.iter_rows(min_row=3):
        for cell in line:
            cell.alignment = wrap
    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    last = get_column_letter(len(COLUMNS))
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
