"""The pure half of an import: Markdown in, chapters out. No Django but translation, no files.

What lives here:

- the records an import is made of (``ImportedChapter``, ``ImportedImage``) and the refusal it
  raises (``ImportRefused``), shared by the reading (chapters.wordfile) and the writing
  (chapters.importing) halves;
- raw HTML out of Markdown (``strip_raw_html``);
- chapter titles: a leading number dropped (``chapter_title``), what two titles must share to be
  the same chapter (``normalise_title``);
- ``split_markdown``, one chapter per top-level heading, in named steps: find the headings and
  footnotes, refuse text before the first chapter, decide the chapter boundaries, move footnote
  definitions to the chapters that cite them, then build each chapter's record.

Limits that come from settings (the longest chapter body) are passed in by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from handbook_review.translation import gettext as _

if TYPE_CHECKING:
    from collections.abc import Sequence

    from markdown_it.token import Token

TITLE_MAX_LENGTH = 300  # Chapter.title


class ImportRefused(Exception):
    """The file cannot be imported; the message says why, in words an editor understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportedImage:
    name: str  # the file name in the document, for messages
    storage_name: str  # where it will be stored: "images/import-<sha256>.png"
    data: bytes = field(repr=False)
    width: int  # as chapters.images.reencode_image measured it
    height: int


@dataclass(frozen=True)
class ImportedChapter:
    title: str
    body: str  # Markdown; sections start at ##, images point at their future /media/ URLs
    images: list[ImportedImage] = field(default_factory=list)
    notes: tuple[str, ...] = ()  # what the import changed on the way (removed HTML, ...)


# --- Markdown: raw HTML out -------------------------------------------------------------------


def _parser() -> MarkdownIt:
    # The renderer's grammar (chapters.rendering), with footnote definitions left where they
    # are written, so their lines can be found.
    md = MarkdownIt("commonmark", {"html": True})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.disable("footnote_tail")
    return md


_MD = _parser()

# An HTML tag, comment, declaration or processing instruction as CommonMark sees one; autolinks
# (<https://...>, <a@b.org>) do not match.
_TAG_START = re.compile(r"(?<!\\)<(?=[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|/[A-Za-z]|!|\?)")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


def _escape_tags(line: str) -> str:
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_TAG_START.sub(r"\\<", line[last : span.start()]))
        parts.append(span.group())
        last = span.end()
    parts.append(_TAG_START.sub(r"\\<", line[last:]))
    return "".join(parts)


def strip_raw_html(markdown: str) -> tuple[str, int]:
    """Markdown without raw HTML: blocks removed, inline tags escaped (shown as text).

    Returns the text and the number of HTML blocks removed. Code is left alone.
    """
    lines = markdown.split("\n")
    removed: set[int] = set()
    escaped: set[int] = set()
    blocks = 0
    for token in _MD.parse(markdown):
        if token.map is None:
            continue
        if token.type == "html_block":
            blocks += 1
            removed.update(range(*token.map))
        elif token.type == "inline" and any(
            child.type == "html_inline" for child in token.children or []
        ):
            escaped.update(range(*token.map))
    kept = [
        _escape_tags(line) if index in escaped else line
        for index, line in enumerate(lines)
        if index not in removed
    ]
    return "\n".join(kept), blocks


# --- Titles -----------------------------------------------------------------------------------

_CHAPTER_NUMBER = re.compile(
    r"^\s*(?:(?:chapter|chap\.|kapitulli|poglavlje|poglavje|глава|поглавље|поглавје)\s*"
    r"\d+(?:\.\d+)*\s*[.):\-–—]?|\d+(?:\.\d+)+\.?|\d+\s*[.):\-–—])\s*",
    re.IGNORECASE,
)


def chapter_title(heading: str) -> str:
    """The heading without a leading number: "3. Ammunition" and "Chapter 3: Ammunition" lose it."""
    heading = " ".join(heading.split())
    stripped = _CHAPTER_NUMBER.sub("", heading, count=1).strip()
    return stripped or heading


def normalise_title(title: str) -> str:
    """What two titles must share to be the same chapter: case and spacing do not count."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


# --- Splitting into chapters ------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    start: int
    end: int
    level: int
    source: str  # the heading's Markdown, on one line
    text: str  # its plain text


@dataclass(frozen=True)
class _Outline:
    """What the parser found: headings, footnote definitions and the footnotes cited."""

    headings: list[_Heading]
    definitions: list[tuple[str, int, int]]  # label, first line, end line
    citations: list[tuple[str, int]]  # label, line


@dataclass(frozen=True)
class _FootnoteMoves:
    """Footnote definitions that go to the chapters citing them (pandoc puts them all last)."""

    moved_out: set[int]  # first lines of definitions that leave their chapter
    moved_in: dict[int, list[tuple[int, int]]]  # chapter index -> (first, end) lines it gains
    definition_end: dict[int, int]  # first line of each definition -> its end line


def _plain(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child))
    return "".join(parts)


def _trim_blank_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _find_outline(tokens: Sequence[Token]) -> _Outline:
    """Find the headings (top level only, not in lists or quotes) and the footnotes."""
    outline = _Outline(headings=[], definitions=[], citations=[])
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map:
            inline = tokens[index + 1]
            outline.headings.append(
                _Heading(
                    start=token.map[0],
                    end=token.map[1],
                    level=int(token.tag[1]),
                    source=" ".join(inline.content.split()),
                    text=_plain(inline),
                )
            )
        elif token.type == "footnote_reference_open" and token.level == 0 and token.map:
            outline.definitions.append((token.meta["label"], *token.map))
        elif token.type == "inline" and token.map:
            outline.citations.extend(
                (child.meta["label"], token.map[0])
                for child in token.children or []
                if child.type == "footnote_ref" and "label" in child.meta
            )
    return outline


def _chapter_headings(headings: list[_Heading]) -> list[_Heading]:
    """The headings that start chapters: those of the highest level the document uses."""
    if not headings:
        raise ImportRefused(
            _(
                "The document has no headings, so it cannot be divided into chapters. Give each "
                "chapter title the style “Heading 1” in Word (or start it with “# ” in Markdown) "
                "and import again."
            )
        )
    top = min(heading.level for heading in headings)
    return [heading for heading in headings if heading.level == top]


def _refuse_front_matter(lines: list[str], first_chapter: _Heading) -> None:
    """Text before the first chapter (a title page, a table of contents) is not guessed at."""
    preamble = "\n".join(lines[: first_chapter.start]).strip()
    if preamble:
        raise ImportRefused(
            _(
                "The document has text before its first chapter heading (“%(start)s”). Delete "
                "it (a title page or table of contents) or give it a heading, then import again."
            )
            % {"start": " ".join(preamble.split())[:80]}
        )


def _chapter_bounds(tops: list[_Heading], line_count: int) -> list[tuple[int, int]]:
    """Each chapter's (first line, end line): from its heading to the next chapter's."""
    starts = [heading.start for heading in tops]
    return list(zip(starts, [*starts[1:], line_count], strict=True))


def _chapter_of(bounds: list[tuple[int, int]], line: int) -> int:
    return next(i for i, (start, end) in enumerate(bounds) if start <= line < end)


def _footnote_moves(outline: _Outline, bounds: list[tuple[int, int]]) -> _FootnoteMoves:
    """Which footnote definitions leave their chapter, and which chapters they join."""
    first_line = bounds[0][0]
    cited_by: dict[str, set[int]] = {}
    for label, line in outline.citations:
        if line >= first_line:
            cited_by.setdefault(label, set()).add(_chapter_of(bounds, line))
    moves = _FootnoteMoves(
        moved_out=set(),
        moved_in={},
        definition_end={start: end for _label, start, end in outline.definitions},
    )
    for label, start, end in outline.definitions:
        if start < first_line:
            continue
        home, citing = _chapter_of(bounds, start), cited_by.get(label, set())
        if citing and home not in citing:
            moves.moved_out.add(start)
        for chapter in sorted(citing - {home}):
            moves.moved_in.setdefault(chapter, []).append((start, end))
    return moves


def _checked_title(heading: _Heading, line: int, seen: set[str]) -> str:
    """The chapter's title, refused when empty, too long or already taken by another chapter."""
    title = chapter_title(heading.text)
    if not title:
        raise ImportRefused(
            _("A chapter heading on line %(line)s has no text.") % {"line": line + 1}
        )
    if len(title) > TITLE_MAX_LENGTH:
        raise ImportRefused(
            _("The chapter title “%(title)s…” is too long for a title.") % {"title": title[:60]}
        )
    key = normalise_title(title)
    if key in seen:
        raise ImportRefused(
            _(
                "Two chapters are called “%(title)s”. Chapters are matched by title, so "
                "each title must be different."
            )
            % {"title": title}
        )
    seen.add(key)
    return title


def _chapter_lines(
    lines: list[str],
    heading: _Heading,
    end: int,
    headings: list[_Heading],
    moves: _FootnoteMoves,
) -> list[str]:
    """The chapter's own lines after its heading: sub-headings moved up so the highest is ``##``,
    footnote definitions that belong to other chapters left out."""
    subs = [h for h in headings if heading.start < h.start < end]
    shift = min((h.level for h in subs), default=2) - 2
    rewritten = {h.start: h for h in subs}
    body: list[str] = []
    line = heading.end
    while line < end:
        if line in rewritten:
            sub = rewritten[line]
            level = min(max(sub.level - shift, 2), 6)
            body.append(f"{'#' * level} {sub.source}")
            line = sub.end
        elif line in moves.moved_out:
            line = moves.definition_end[line]
        else:
            body.append(lines[line])
            line += 1
    return _trim_blank_lines(body)


def _chapter_record(
    title: str, body: list[str], gained: list[list[str]], *, max_body_bytes: int | None
) -> ImportedChapter:
    """The chapter as imported: footnotes it gained appended, raw HTML out, size checked."""
    for definition in gained:
        body.extend(["", *_trim_blank_lines(definition)])
    text, removed = strip_raw_html("\n".join(body))
    text = "\n".join(_trim_blank_lines(text.split("\n")))
    text = f"{text}\n" if text else ""
    if max_body_bytes is not None and len(text.encode("utf-8")) > max_body_bytes:
        raise ImportRefused(
            _("The chapter “%(title)s” is longer than a chapter may be; split it.")
            % {"title": title}
        )
    notes = (_("%(n)s block(s) of raw HTML removed.") % {"n": removed},) if removed else ()
    return ImportedChapter(title=title, body=text, notes=notes)


def split_markdown(markdown: str, *, max_body_bytes: int | None) -> list[ImportedChapter]:
    """Split Markdown into chapters at its top heading level; sub-headings move up to ``##``.

    Footnote definitions go with the chapter that cites them (pandoc writes them all at the end
    of the document). A chapter body longer than ``max_body_bytes`` (UTF-8) is refused; None
    checks no length. Pure: no database, no files.
    """
    markdown = markdown.removeprefix("\ufeff")
    lines = markdown.split("\n")
    outline = _find_outline(_MD.parse(markdown))
    tops = _chapter_headings(outline.headings)
    _refuse_front_matter(lines, tops[0])
    bounds = _chapter_bounds(tops, len(lines))
    moves = _footnote_moves(outline, bounds)
    chapters: list[ImportedChapter] = []
    seen_titles: set[str] = set()
    for index, (start, end) in enumerate(bounds):
        # One chapter at a time, each checked before the next: the first problem is reported.
        heading = tops[index]
        title = _checked_title(heading, start, seen_titles)
        body = _chapter_lines(lines, heading, end, outline.headings, moves)
        gained = [lines[first:last] for first, last in moves.moved_in.get(index, [])]
        chapters.append(_chapter_record(title, body, gained, max_body_bytes=max_body_bytes))
    return chapters
