"""Reports as PDF (ReportLab): landscape A4, DejaVu Sans, a title, rows grouped under chapter and
section headings, each row a small two-cell table, the column header line at the top of every
rows page and "page N / M" at the foot, then a summary of plain tables.

Pure (plain strings in, bytes out), like the rest of the package. ReportLab rather than
WeasyPrint because a report runs to thousands of rows: WeasyPrint costs 9–19 ms a row whatever
the layout, ReportLab with one small table per row about 4 ms. One table per row, not one big
table: ReportLab's time for a single table grows faster than its rows.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from chapters.exporting.document import ExportError
from handbook_review.translation import gettext as _

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
# Where Debian, Fedora, Arch and Alpine put DejaVu; fontconfig (as WeasyPrint finds fonts) is
# asked when none of them has it.
FONT_DIRS = [
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
]

WHO_SHARE = 0.22  # of the width: number to type; the rest is comment to answer


@dataclass(frozen=True)
class ReportRow:
    who: list[str]  # the first one (the number) in bold; empty ones are left out
    what: list[tuple[str, str]]  # (label, text); empty texts are left out


@dataclass(frozen=True)
class ReportGroup:
    chapter: str  # a heading where it changes
    section: str  # a subheading for every group
    rows: list[ReportRow] = field(default_factory=list)


@dataclass(frozen=True)
class ReportTable:
    heading: str
    columns: list[str]  # a bold shaded header row; none if empty
    rows: list[list[str]]
    empty: str = ""  # said instead of the table when it has no rows
    width: float = 1.0  # share of the page's width
    total: list[str] | None = None  # a last row, its first cell bold


@dataclass(frozen=True)
class ReportDocument:
    title: str
    header: tuple[str, str]  # the column header line over the two cells of a row
    groups: list[ReportGroup]
    empty: str  # said when there are no groups
    summary_title: str
    summary: list[ReportTable]


def _xml(text: str) -> str:
    """User text for ReportLab's paragraph markup: escaped, its line breaks kept."""
    return escape(str(text)).replace("\r\n", "\n").replace("\n", "<br/>")


def _font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    fc_match = shutil.which("fc-match")
    if fc_match is not None:
        family = "DejaVu Sans:style=Bold" if "Bold" in name else "DejaVu Sans:style=Book"
        found = subprocess.run(  # noqa: S603 - fontconfig's own tool, a fixed pattern
            [fc_match, "--format=%{file}", family], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and Path(found).name == name and Path(found).is_file():
            return Path(found)
    raise ExportError(f"PDF rendering needs the DejaVu Sans font ({name}); install fonts-dejavu")


@functools.cache
def _fonts() -> None:
    """Registered once per process: reading a TTF costs more than a page."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for font, filename in FONT_FILES.items():
        try:
            pdfmetrics.registerFont(TTFont(font, str(_font_file(filename))))
        except ExportError:
            raise
        except Exception as error:
            raise ExportError(f"PDF rendering could not read {filename}: {error}") from error
    # <b> in the markup is the bold face; DejaVu's obliques are not needed.
    for bold, italic, font in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold, italic, font)


@functools.cache
def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=FONT, fontSize=7, leading=9.1)
    return {
        "body": body,
        "bold": ParagraphStyle("bold", parent=body, fontName=FONT_BOLD),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=12, leading=15, spaceAfter=8.5
        ),
        "chapter": ParagraphStyle(
            "chapter",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=14,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "section": ParagraphStyle(
            "section",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=8.5,
            leading=11,
            spaceBefore=8.5,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "footer": ParagraphStyle("footer", parent=body),
    }


def to_pdf(doc: ReportDocument) -> bytes:
    """The document as PDF bytes, or ExportError."""
    try:
        data = _render(doc)
    except ExportError:
        raise
    except Exception as error:
        raise ExportError(f"PDF rendering failed: {error}") from error
    if not data.startswith(b"%PDF-"):
        raise ExportError("PDF rendering produced no valid PDF")
    return data


def _render(doc: ReportDocument) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    _fonts()
    styles = _styles()
    page_width, page_height = landscape(A4)
    left, right, top, bottom = 10 * mm, 10 * mm, 12 * mm, 14 * mm
    width = page_width - left - right
    widths = [width * WHO_SHARE, width * (1 - WHO_SHARE)]
    grid = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0.8 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0.8 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 0.8 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0.8 * mm),
    ]
    shaded = ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))
    row_style = TableStyle(grid)

    header = Table(
        [[Paragraph(_xml(text), styles["bold"]) for text in doc.header]],
        colWidths=widths,
        style=TableStyle([*grid, shaded]),
    )
    _width, header_height = header.wrap(width, page_height)
    gap = 2 * mm  # between the header line and the page's first row
    frame_height = page_height - top - bottom - header_height - gap

    class RowTable(Table):  # type: ignore[misc]
        """A row is kept on one page, as a printed table row is, unless it is longer than a
        page: then it breaks across pages."""

        def split(self, avail_width: float, avail_height: float) -> list[Any]:
            if getattr(self, "_height", 0) < frame_height:
                return []
            return list(super().split(avail_width, avail_height))

    def row_header(canvas: Any, _doc: Any) -> None:
        header.drawOn(canvas, left, page_height - top - header_height)

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        """Two passes: the pages are kept until the last, when their count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                label = _("page %(page)s / %(pages)s") % {"page": number, "pages": total}
                self.drawRightString(page_width - right, bottom - 5 * mm, label)
                super().showPage()
            super().save()

    out = io.BytesIO()
    template = BaseDocTemplate(
        out,
        pagesize=(page_width, page_height),
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=doc.title,
    )
    pad = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
    template.addPageTemplates(
        [
            PageTemplate(
                id="rows",
                frames=[Frame(left, bottom, width, frame_height, id="rows", **pad)],
                onPage=row_header,
            ),
            PageTemplate(
                id="summary",
                frames=[Frame(left, bottom, width, page_height - top - bottom, **pad)],
            ),
        ]
    )

    story: list[Any] = [Paragraph(_xml(doc.title), styles["title"])]
    body = styles["body"]
    chapter = None
    for group in doc.groups:
        if group.chapter != chapter:
            chapter = group.chapter
            story.append(Paragraph(_xml(group.chapter), styles["chapter"]))
        story.append(Paragraph(_xml(group.section), styles["section"]))
        for row in group.rows:
            who = [_xml(v) for v in row.who if v]
            if who:
                who[0] = f'<font name="{FONT_BOLD}" size="8">{who[0]}</font>'
            what = [f"<b>{_xml(label)}:</b> {_xml(text)}" for label, text in row.what if text]
            story.append(
                RowTable(
                    [[Paragraph("<br/>".join(who), body), Paragraph("<br/>".join(what), body)]],
                    colWidths=widths,
                    style=row_style,
                    splitInRow=1,
                )
            )
    if not doc.groups:
        story.append(Paragraph(_xml(doc.empty), body))

    story += [NextPageTemplate("summary"), PageBreak()]
    story.append(Paragraph(_xml(doc.summary_title), styles["chapter"]))
    for table in doc.summary:
        story.append(Paragraph(_xml(table.heading), styles["section"]))
        if not table.rows and table.empty:
            story.append(Paragraph(_xml(table.empty), body))
            continue
        cells = [[Paragraph(_xml(c), body) for c in line] for line in table.rows]
        commands = list(grid)
        if table.columns:
            cells.insert(0, [Paragraph(_xml(c), styles["bold"]) for c in table.columns])
            commands.append(shaded)
        if table.total is not None:
            first, *rest = table.total
            cells.append(
                [Paragraph(_xml(first), styles["bold"]), *(Paragraph(_xml(c), body) for c in rest)]
            )
        n = max((len(line) for line in cells), default=1)
        story.append(
            Table(
                cells,
                colWidths=[width * table.width / n] * n,
                style=TableStyle(commands),
                repeatRows=1 if table.columns else 0,
                hAlign="LEFT",
            )
        )
    story.append(Spacer(0, 0))
    template.build(story, canvasmaker=NumberedCanvas)
    return out.getvalue()
