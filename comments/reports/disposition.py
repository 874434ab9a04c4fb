"""The disposition report: what became of every comment and suggestion of a chapter, a round or an
edition, with the columns of the ISO/IEC commenting template, grouped by section in document order,
and a summary of the jurisdictions' votes, the counts per disposition and the editors' overrides.

It is the one export of the review's outcome (the old resolution matrix redirects here), as XLSX
(the rows and a summary sheet), CSV (the rows), PDF (ReportLab, landscape A4: see
chapters/exporting/report_pdf.py) and DOCX (pandoc, from the print HTML).
Rows come from a constant number of queries, however many threads; threads a coordinator held back
as internal are not part of it, and merged ones say which comment they were merged into. Each row
carries the number its comment or suggestion goes by on the pages and in e-mails (`Thread.number`),
so "no. 12" here is "Comment #12" there; rows stand in document order, not in number order.
Moments are real datetimes in the spreadsheet (local time: a cell has no time zone), ISO 8601 with
the offset in the CSV, and as the reader's language writes them in print and in running text.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from chapters import exporting
from chapters.exporting import report_pdf
from chapters.models import Chapter, Edition, Handbook, Round, SignOff, Transition
from comments import policies
from comments.models import (
    Answer,
    Comment,
    Disposition,
    DispositionKind,
    Kind,
    PositionKind,
    Thread,
    Vote,
)
from comments.reports.common import in_round, thread_url
from comments.reports.places import (
    cell_value,
    comment_text,
    known_places,
    layout_index,
    paragraph_at,
    reply_line,
    section_at,
    site_url,
)
from handbook_review.dates import moment

if TYPE_CHECKING:
    from handbook_review.people.models import Jurisdiction, User


# --- The scope: a chapter, a round, an edition or the whole handbook


@dataclass(frozen=True)
class Scope:
    """Which threads a report covers.

    A round's threads follow the round rule (comments/reports/common.py). An edition's are those
    on its chapters opened after the previous edition was published and up to its own
    publication: what was said in the making of that edition.
    """

    handbook: Handbook
    round: Round | None = None
    chapter: Chapter | None = None
    edition: Edition | None = None
    chapter_ids: tuple[int, ...] = ()  # an edition's chapters
    since: datetime | None = None  # an edition's window
    until: datetime | None = None

    @classmethod
    def of_edition(cls, edition: Edition) -> Scope:
        previous = edition.previous
        return cls(
            handbook=edition.handbook,
            edition=edition,
            chapter_ids=tuple(edition.chapters.values_list("chapter_id", flat=True)),
            since=previous.published_at if previous is not None else None,
            until=edition.published_at,
        )

    def threads(self) -> Q:
        if self.round is not None:
            return in_round(self.round)
        if self.chapter is not None:
            return Q(chapter=self.chapter)
        if self.edition is not None:
            q = Q(chapter__in=self.chapter_ids, created_at__lte=self.until)
            return q & Q(created_at__gt=self.since) if self.since else q
        return Q()

    def chapters(self) -> Q:
        """The chapters whose votes and overrides the summary shows."""
        if self.round is not None:
            return Q(rounds=self.round)
        if self.chapter is not None:
            return Q(pk=self.chapter.pk)
        if self.edition is not None:
            return Q(pk__in=self.chapter_ids)
        return Q(handbook=self.handbook)

    def transitions(self) -> Q:
        if self.round is not None:
            return Q(at__gte=self.round.opens_at)
        if self.edition is not None:
            q = Q(at__lte=self.until)
            return q & Q(at__gt=self.since) if self.since else q
        return Q()

    @property
    def name(self) -> str:
        if self.round is not None:
            return self.round.name
        if self.chapter is not None:
            return _("chapter %(number)s. %(title)s") % {
                "number": self.chapter.number,
                "title": self.chapter.title,
            }
        if self.edition is not None:
            return _("edition %(label)s") % {"label": self.edition.label}
        return _("whole handbook")

    @property
    def slug(self) -> str:
        if self.round is not None:
            return slugify(self.round.name) or str(self.round.pk)
        if self.chapter is not None:
            return f"chapter-{self.chapter.number}"
        if self.edition is not None:
            return f"edition-{self.edition.label}"
        return "handbook"


@dataclass(frozen=True)
class Filters:
    category: str = ""  # a Category value, or "" for every type
    essential: bool = False  # essential comments only
    jurisdiction: Jurisdiction | None = None  # one jurisdiction's report

    @property
    def name(self) -> str:
        parts = []
        if self.jurisdiction is not None:
            parts.append(self.jurisdiction.name)
        if self.category:
            parts.append(_("type: %(type)s") % {"type": self.category})
        if self.essential:
            parts.append(_("essential only"))
        return ", ".join(parts)


# --- The rows


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # in characters, for the spreadsheet
    in_pdf: bool = True


# The ISO/IEC template's columns (number to commenter's answer), then the context a spreadsheet
# reader filters and follows links by.
COLUMNS = [
    Column("number", _("No."), 6),
    Column("jurisdiction", _("Jurisdiction"), 16),
    Column("agency", _("Agency"), 13),
    Column("author", _("Author"), 18),
    Column("section", _("Section"), 8),
    Column("paragraph", _("Paragraph"), 9),
    Column("type", _("Type"), 13),
    Column("comment", _("Comment"), 50),
    Column("proposed", _("Proposed change"), 36),
    Column("disposition", _("Disposition"), 18),
    Column("observation", _("Editors' observation"), 40),
    Column("applied", _("Text as applied"), 36),
    Column("answer", _("Commenter's answer"), 30),
    Column("history", _("Earlier dispositions and answers"), 50, in_pdf=False),
    Column("position", _("Jurisdiction's position"), 22, in_pdf=False),
    Column("chapter", _("Chapter"), 26, in_pdf=False),
    Column("heading", _("Section heading"), 26, in_pdf=False),
    Column("quote", _("Quoted text"), 36, in_pdf=False),
    Column("replies", _("Replies"), 50, in_pdf=False),
    Column("disposed_by", _("Disposed by"), 18, in_pdf=False),
    Column("disposed_at", _("Disposed at"), 20, in_pdf=False),
    Column("created_at", _("Opened at"), 20, in_pdf=False),
    Column("link", _("Link"), 30, in_pdf=False),
]
PDF_COLUMNS = [c for c in COLUMNS if c.in_pdf]

NO_DISPOSITION = _("(no disposition yet)")


def report_threads(scope: Scope, user: User, filters: Filters | None = None) -> list[Thread]:
    """The threads of the report that `user` may see, with what their rows show: four queries
    however many (threads, comments, answers, and the chapters' past versions or orphans' anchors
    at most one each)."""
    filters = filters or Filters()
    threads = (
        policies.threads.visible_to(user)
        .filter(chapter__handbook=scope.handbook)
        .filter(scope.threads())
        .exclude(position=PositionKind.INTERNAL)
    )
    if filters.category:
        threads = threads.filter(category=filters.category)
    if filters.essential:
        threads = threads.filter(essential=True)
    return list(
        threads.select_related(
            "author",
            "author_jurisdiction",
            "suggestion",
            "disposition__by",
            "disposition__decision",
        ).prefetch_related(
            # Each chapter once (its text is long), not joined onto every one of its threads.
            "chapter",
            Prefetch(
                "comments",
                queryset=Comment.objects.select_related("author", "author_jurisdiction").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch("disposition__answers", queryset=Answer.objects.order_by("at", "pk")),
            # The dispositions a revision replaced, and the answers given to them: the story.
            Prefetch(
                "dispositions",
                queryset=Disposition.objects.filter(replaced_by__isnull=False)
                .select_related("by")
                .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("at", "pk")))
                .order_by("at", "pk"),
            ),
        )
    )


def type_label(thread: Thread) -> str:
    label = str(thread.get_category_display())
    return _("%(type)s, essential") % {"type": label} if thread.essential else label


def answer_label(thread: Thread) -> str:
    disposition = thread.disposition
    if disposition is None or not thread.answer:
        return ""
    answers = list(disposition.answers.all())
    label = str(thread.get_answer_display())
    reason = answers[-1].reason if answers else ""
    return f"{label}: {reason}" if reason else label


def history_text(thread: Thread) -> str:
    """The dispositions a revision replaced, oldest first, each with the answers to it."""
    lines = []
    for earlier in thread.dispositions.all():  # only those a revision replaced
        line = f"{earlier.get_kind_display()} ({earlier.by.name}, {moment(earlier.at)})"
        if earlier.reason:
            line += f": {earlier.reason}"
        for given in earlier.answers.all():
            line += f" — {given.get_kind_display()}" + (f": {given.reason}" if given.reason else "")
        lines.append(line)
    return "\n".join(lines)


def ordered(threads: list[Thread], places: dict[int, tuple[int, int]]) -> list[Thread]:
    """Document order: by chapter, then where the quote stands; orphans that never stood
    anywhere at the end of their chapter."""
    return sorted(
        threads,
        key=lambda t: (t.chapter.number, t.pk not in places, places.get(t.pk, (0, 0))[1], t.pk),
    )


def refer(number: int) -> str:
    return _("no. %(number)s") % {"number": number}


def report_rows(threads: list[Thread]) -> list[dict[str, Any]]:
    """One row per thread in document order, each with its number (`Thread.number`). The first
    comment is the comment (a suggestion's rationale), later ones are summarised as replies; a
    suggestion's replacement is the proposed change."""
    places = known_places(threads)
    index = layout_index(threads, places)
    base = site_url()
    in_order = ordered(threads, places)

    rows = []
    for t in in_order:
        comments = list(t.comments.all())
        first = comments[0] if comments else None
        replies = comments[1:]
        if t.pk not in places:
            section = None
            paragraph = ""
            heading = _("(orphaned: the quoted words are no longer in the text)")
        else:
            version, offset = places[t.pk]
            found = index.get((t.chapter_id, version))
            section = section_at(found.sections, offset) if found else None
            paragraph = paragraph_at(found, offset, section) if found else ""
            heading = section.text if section else _("(before the first heading)")
        suggestion = getattr(t, "suggestion", None) if t.kind == Kind.SUGGESTION else None
        d = t.disposition
        disposition = str(d.get_kind_display()) if d is not None else NO_DISPOSITION
        if d is not None and d.kind == DispositionKind.DUPLICATE and d.duplicate_of_id:
            disposition += " (" + refer(d.duplicate_of_id) + ")"  # a thread's id is its number
        applied = ""
        if d is not None:
            applied = d.applied_text or (d.decision.applied_text if d.decision else "")
        position = str(t.get_position_display()) if t.position else ""
        if t.position == PositionKind.MERGED and t.merged_into_id:
            position = _("Merged into %(other)s") % {"other": refer(t.merged_into_id)}
        rows.append(
            {
                "number": t.number,
                "chapter_number": t.chapter.number,
                "chapter": f"{t.chapter.number}. {t.chapter.title}",
                "section": section.number if section else "",
                "heading": heading,
                "paragraph": paragraph,
                "quote": t.exact,
                "jurisdiction": t.author_jurisdiction.name if t.author_jurisdiction else "",
                "agency": t.get_author_agency_display(),
                "author": t.author.name,
                "type": type_label(t),
                "kind": t.kind,
                "comment": comment_text(first),
                "replies": "\n\n".join(reply_line(c) for c in replies),
                "reply_count": len(replies),
                "proposed": suggestion.replacement if suggestion is not None else "",
                "disposition_kind": d.kind if d is not None else "",
                "disposition": disposition,
                "observation": d.reason if d is not None else "",
                "applied": applied,
                "answer": answer_label(t),
                "history": history_text(t),
                "answer_kind": t.answer if d is not None else "",
                "position": position,
                "disposed_by": d.by.name if d is not None else "",
                "disposed_at": d.at if d is not None else None,
                "created_at": t.created_at,
                "link": base + thread_url(t.chapter.handbook, t.chapter_id, t.pk),
            }
        )
    return rows


# --- Grouping for the PDF


@dataclass
class Group:
    chapter: str
    section: str
    heading: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def grouped(rows: list[dict[str, Any]]) -> list[Group]:
    """Consecutive rows of one section of one chapter, in the order they come."""
    groups: list[Group] = []
    for row in rows:
        if not groups or (groups[-1].chapter, groups[-1].heading) != (
            row["chapter"],
            row["heading"],
        ):
            groups.append(Group(row["chapter"], row["section"], row["heading"]))
        groups[-1].rows.append(row)
    return groups


# --- The summary: votes, counts, overrides


@dataclass
class VoteLine:
    round: str
    chapter: str
    cells: list[str]


@dataclass
class Summary:
    jurisdictions: list[str]
    votes: list[VoteLine]
    dispositions: list[tuple[str, int]]
    answers: list[tuple[str, int]]
    overrides: list[dict[str, Any]]  # "at" a datetime, the rest text
    total: int


def summary(
    scope: Scope, rows: list[dict[str, Any]], jurisdiction: Jurisdiction | None = None
) -> Summary:
    """The jurisdictions' vote per round and chapter (a jurisdiction without a coordinator: its
    sign-off), the counts per disposition and answer, and the overridden approvals. Five queries
    (rounds with their chapters and jurisdictions, votes with their essentials, sign-offs,
    coordinated jurisdictions, overrides), however many rounds and chapters."""
    chapters = Chapter.objects.filter(scope.chapters())
    rounds = list(
        Round.objects.filter(handbook=scope.handbook)
        .filter(Q(pk=scope.round.pk) if scope.round else Q(chapters__in=chapters))
        .distinct()
        .order_by("opens_at", "pk")
        .prefetch_related(
            Prefetch("chapters", queryset=chapters.order_by("number"), to_attr="scoped"),
            "jurisdictions",
        )
    )
    votes = {
        (v.round_id, v.chapter_id, v.jurisdiction_id): v
        for v in Vote.objects.filter(round__in=rounds, superseded_at__isnull=True).prefetch_related(
            "essentials"
        )
    }
    sign_offs = {
        (s.round_id, s.chapter_id, s.jurisdiction_id): s
        for s in SignOff.objects.filter(round__in=rounds, withdrawn_at__isnull=True)
    }
    jurisdictions = sorted({j for r in rounds for j in r.jurisdictions.all()}, key=lambda j: j.name)
    if jurisdiction is not None:  # one jurisdiction's report shows its own votes
        jurisdictions = [j for j in jurisdictions if j.pk == jurisdiction.pk]
    coordinated = policies.reports.coordinated(jurisdictions)
    lines = []
    for r in rounds:
        invited = {j.pk for j in r.jurisdictions.all()}
        for c in r.scoped:
            cells = []
            for j in jurisdictions:
                if j.pk not in invited:
                    cells.append("")
                    continue
                vote = votes.get((r.pk, c.pk, j.pk))
                sign_off = sign_offs.get((r.pk, c.pk, j.pk))
                if vote is not None:
                    text = str(vote.get_value_display())
                    essentials = [refer(t.number) for t in vote.essentials.all()]
                    if essentials:
                        text += (
                            " (" + _("essential: %(list)s") % {"list": ", ".join(essentials)} + ")"
                        )
                    if vote.reason:
                        text += f": {vote.reason}"
                elif j.pk not in coordinated and sign_off is not None:
                    text = _("Signed off: %(verdict)s") % {
                        "verdict": sign_off.get_verdict_display()
                    }
                elif j.pk not in coordinated:
                    text = _("Not signed off")
                else:
                    text = _("No vote")
                cells.append(text)
            lines.append(VoteLine(r.name, f"{c.number}. {c.title}", cells))
    kinds = Counter(row["disposition_kind"] for row in rows)
    answers = Counter(row["answer_kind"] for row in rows if row["disposition_kind"])
    overrides = [
        {
            "chapter": f"{t.chapter.number}. {t.chapter.title}",
            "move": f"{t.get_source_display()} → {t.get_target_display()}",
            "by": t.by.name,
            "at": t.at,
            "note": t.note,
        }
        for t in Transition.objects.filter(chapter__in=chapters, override=True)
        .filter(scope.transitions())
        .select_related("chapter", "by")
        .order_by("at", "pk")
    ]
    return Summary(
        jurisdictions=[j.name for j in jurisdictions],
        votes=lines,
        dispositions=[
            *((str(label), kinds[value]) for value, label in DispositionKind.choices),
            (str(NO_DISPOSITION), kinds[""]),
        ],
        answers=[
            (_("Accepted by the commenter"), answers["accepted"]),
            (_("Contested by the commenter"), answers["contested"]),
            (_("Not answered"), answers[""]),
        ],
        overrides=overrides,
        total=len(rows),
    )


# --- The report, in its formats


@dataclass
class Report:
    scope: Scope
    filters: Filters
    rows: list[dict[str, Any]]
    summary: Summary
    at: datetime

    @property
    def title(self) -> str:
        when = moment(self.at)
        title = _("Disposition of comments: %(book)s, %(scope)s (exported %(when)s)") % {
            "book": self.scope.handbook.title,
            "scope": self.scope.name,
            "when": when,
        }
        if self.filters.name:
            title += f" · {self.filters.name}"
        return title

    def filename(self, fmt: str) -> str:
        stem = f"{self.scope.handbook.slug}-disposition-report-{self.scope.slug}"
        if self.filters.jurisdiction is not None:
            stem += f"-{self.filters.jurisdiction.code.lower()}"
        return f"{stem}-{timezone.localtime(self.at):%Y-%m-%d}.{fmt}"


def build(scope: Scope, user: User, filters: Filters | None, *, at: datetime) -> Report:
    filters = filters or Filters()
    threads = report_threads(scope, user, filters)
    for t in threads:  # every thread is of the scope's handbook: the links need its slug only
        t.chapter.handbook = scope.handbook
    rows = report_rows(threads)
    if filters.jurisdiction is not None:
        name = filters.jurisdiction.name
        rows = [row for row in rows if row["jurisdiction"] == name]
    return Report(scope, filters, rows, summary(scope, rows, filters.jurisdiction), at)


def to_csv(report: Report) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads Cyrillic and Albanian letters right."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([str(c.title) for c in COLUMNS])
    for row in report.rows:
        writer.writerow([cell_value(row[c.key]) for c in COLUMNS])  # moments in ISO 8601
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31]


# How a spreadsheet shows the moments, which it holds as numbers: unambiguous in every language.
XLSX_MOMENT = "yyyy-mm-dd hh:mm"


def sheet_value(value: Any) -> Any:
    """A cell: a moment as a real date and time, in local time (a cell has no time zone)."""
    if isinstance(value, datetime):
        return timezone.make_naive(value) if timezone.is_aware(value) else value
    return cell_value(value)


def to_xlsx(report: Report) -> bytes:
    """The rows sheet (a title row, a bold frozen header with a filter, sized and wrapped
    columns) and the summary sheet (counts, votes, overrides)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.worksheets[0]
    ws.title = sheet_name(_("Dispositions"))
    ws.append([cell_value(report.title)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([str(c.title) for c in COLUMNS])
    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for cell in ws[2]:
        cell.font = bold
        cell.alignment = wrap
    for row in report.rows:
        ws.append([sheet_value(row[c.key]) for c in COLUMNS])
    for line in ws.iter_rows(min_row=3):
        for cell in line:
            if isinstance(cell.value, datetime):
                cell.number_format = XLSX_MOMENT
                cell.alignment = Alignment(vertical="top")
            elif cell.value is not None and cell.value != "":  # nothing to wrap in an empty cell
                cell.alignment = wrap
    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{len(report.rows) + 2}"

    s = book.create_sheet(sheet_name(_("Summary")))
    data = report.summary

    def heading(text: str) -> None:
        s.append([])
        s.append([cell_value(text)])
        s.cell(row=s.max_row, column=1).font = Font(bold=True, size=12)

    s.append([cell_value(report.title)])
    s["A1"].font = Font(bold=True, size=13)
    heading(_("Votes of the jurisdictions"))
    s.append([_("Round"), _("Chapter"), *data.jurisdictions])
    for cell in s[s.max_row]:
        cell.font = bold
    for line in data.votes:
        s.append([cell_value(line.round), cell_value(line.chapter), *map(cell_value, line.cells)])
    heading(_("Dispositions"))
    for label, n in data.dispositions:
        s.append([cell_value(label), n])
    s.append([_("Total"), data.total])
    s.cell(row=s.max_row, column=1).font = bold
    heading(_("Commenters' answers"))
    for label, n in data.answers:
        s.append([cell_value(label), n])
    heading(_("Approvals overridden by an editor"))
    if data.overrides:
        s.append([_("Chapter"), _("Move"), _("By"), _("At"), _("Reason")])
        for cell in s[s.max_row]:
            cell.font = bold
        for o in data.overrides:
            s.append([sheet_value(o[k]) for k in ("chapter", "move", "by", "at", "note")])
            s.cell(row=s.max_row, column=4).number_format = XLSX_MOMENT
    else:
        s.append([_("None")])
    for i, width in enumerate([28, 30, *([22] * len(data.jurisdictions))], start=1):
        s.column_dimensions[get_column_letter(i)].width = width
    for line in s.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = wrap
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_cell(row: dict[str, Any], key: str) -> Any:
    """In print the comment carries its replies, summarised, below it; the number says it is
    one."""
    if key == "number":
        return _("No. %(number)s") % {"number": row["number"]}
    if key == "section" and row["section"]:
        return _("Section %(number)s") % {"number": row["section"]}
    if key == "comment" and row["replies"]:
        label = _("Replies (%(n)s):") % {"n": row["reply_count"]}
        return f"{row['comment']}\n\n{label}\n{row['replies']}"
    return row[key]


# In print the row is two cells: who and where (number to type), then what was said and done
# (comment to answer), each a paragraph the width of the page. The template's thirteen columns
# side by side would wrap every cell into a narrow strip: twice the pages, and the time to set
# them grows with the lines.
PDF_WHO = 7  # number, jurisdiction, agency, author, section, paragraph, type


def to_html(report: Report) -> str:
    """The print document the DOCX is made from (the PDF shows the same, see `pdf_document`):
    one table per section, the header repeated on every page, then the summary."""
    who, what = PDF_COLUMNS[:PDF_WHO], PDF_COLUMNS[PDF_WHO:]
    return render_to_string(
        "comments/disposition_report.html",
        {
            "report": report,
            "who_columns": who,
            "what_columns": what,
            "groups": [
                (
                    g,
                    [
                        (
                            [(c, pdf_cell(row, c.key)) for c in who],
                            [(c, pdf_cell(row, c.key)) for c in what],
                        )
                        for row in g.rows
                    ],
                )
                for g in grouped(report.rows)
            ],
            "summary": report.summary,
        },
    )


def pdf_document(report: Report) -> report_pdf.ReportDocument:
    """What the PDF shows: the cells of `to_html`, each non-empty one, and the same summary."""
    who, what = PDF_COLUMNS[:PDF_WHO], PDF_COLUMNS[PDF_WHO:]
    data = report.summary
    return report_pdf.ReportDocument(
        title=report.title,
        header=(
            " · ".join(str(c.title) for c in who),
            " · ".join(str(c.title) for c in what),
        ),
        groups=[
            report_pdf.ReportGroup(
                chapter=g.chapter,
                section=f"{g.section} {g.heading}" if g.section else g.heading,
                rows=[
                    report_pdf.ReportRow(
                        who=[str(pdf_cell(row, c.key)) for c in who],
                        what=[(str(c.title), str(pdf_cell(row, c.key))) for c in what],
                    )
                    for row in g.rows
                ],
            )
            for g in grouped(report.rows)
        ],
        empty=_("No comments or suggestions."),
        summary_title=_("Summary"),
        summary=[
            report_pdf.ReportTable(
                heading=_("Votes of the jurisdictions"),
                columns=[_("Round"), _("Chapter"), *data.jurisdictions],
                rows=[[line.round, line.chapter, *line.cells] for line in data.votes],
                empty=_("No review rounds."),
            ),
            report_pdf.ReportTable(
                heading=_("Dispositions"),
                columns=[],
                rows=[[label, str(n)] for label, n in data.dispositions],
                width=0.5,
                total=[_("Total"), str(data.total)],
            ),
            report_pdf.ReportTable(
                heading=_("Commenters' answers"),
                columns=[],
                rows=[[label, str(n)] for label, n in data.answers],
                width=0.5,
            ),
            report_pdf.ReportTable(
                heading=_("Approvals overridden by an editor"),
                columns=[_("Chapter"), _("Move"), _("By"), _("At"), _("Reason")],
                rows=[
                    [o["chapter"], o["move"], o["by"], moment(o["at"]), o["note"]]
                    for o in data.overrides
                ],
                empty=_("None."),
            ),
        ],
    )


def to_pdf(report: Report) -> bytes:
    return report_pdf.to_pdf(pdf_document(report))


def to_docx(report: Report) -> bytes:
    return exporting.html_to_docx(to_html(report))
