"""Which part of a chapter's Markdown a reader's selection in the rendered chapter stands for.

A suggested edit replaces Markdown, but the reader selects rendered text. ``source_range`` maps
a selection (a TextQuoteSelector plus its offset in ``plain_text(render_markdown(source))``)
back to the source: to the exact characters when they are written verbatim in one block, or,
when the selection crosses formatting, escapes or entities, to the smallest enclosing block(s).

How the map is built (one parse and one render per chapter text, cached):

1. The selection is first found in the plain text, where the reader made it (prefix, suffix and
   start single out one occurrence; otherwise we refuse).
2. The source is parsed with the renderer's own markdown-it configuration, minus the two rules
   that merge text tokens (``text_join``, ``fragments_join``), so every escape and entity stays a
   token of its own. Each leaf block (paragraph, heading, table cell, code block) is a *unit*:
   its inline content is located line by line in the source (the block's ``.map``), and its
   inline tokens are walked left to right, skipping each piece of markup by its known length,
   which gives the source offset of every character of every text token.
3. The same tokens are rendered with private-use marker characters around each unit and each
   text token, sanitised, and read as plain text. The markers say which unit and token each
   character of the plain text came from; removed, they leave the chapter's plain text.

A selection is an exact span when its characters all come from verbatim text tokens of one
unit and sit next to each other in the source (so no markup lies inside the span); otherwise it
widens to the source extent of the units it touches (their inline content, without the list,
quote or heading markers in front of it).
"""

from __future__ import annotations

import re
import secrets
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination, parseLinkTitle
from markdown_it.token import Token

from chapters.rendering import _markdown_parser, _prepare_tokens, plain_text, sanitise

NOT_FOUND = "The selected text is not in this chapter."
AMBIGUOUS = (
    "The selection is ambiguous: this text occurs more than once in the chapter. "
    "Select a few more words."
)
NOT_EDITABLE = "This part of the chapter is generated and cannot be edited as a suggestion."
UNMAPPED = "This chapter's text could not be matched to its Markdown; edit the chapter instead."


class SourceMapError(ValueError):
    """A selection that cannot be mapped to the Markdown; the message is shown to the user."""


@dataclass(frozen=True)
class SourceRange:
    start: int  # in the Markdown source
    end: int
    whole_block: bool  # the selection crossed formatting and was widened to its block(s)


def source_range(
    source: str, *, exact: str, prefix: str = "", suffix: str = "", start: int | None = None
) -> SourceRange:
    """The span of ``source`` whose rendering is the selected text, or its enclosing block(s).

    Raises SourceMapError when the selection is not in the chapter, occurs several times and
    cannot be told apart, or lies in generated text (footnote numbers, back-links).
    """
    if not exact or exact.isspace():
        raise SourceMapError("Select some text to suggest an edit, not only spaces.")
    chart = _chart(source)
    at = _locate(chart.text, exact=exact, prefix=prefix, suffix=suffix, start=start)
    end = at + len(exact)
    units = {chart.unit_at[i] for i in range(at, end)} - {-1}
    if not units:
        raise SourceMapError(NOT_EDITABLE)
    span = _verbatim_span(chart, at, end, exact) if len(units) == 1 else None
    if span is not None:
        return SourceRange(chart.original(span[0]), chart.original(span[1]), whole_block=False)
    extents = [chart.units[u] for u in units]
    first = min(extent[0] for extent in extents)
    last = max(extent[1] for extent in extents)
    return SourceRange(chart.original(first), chart.original(last), whole_block=True)


# --- Finding the selection in the plain text ---------------------------------------------------


def _locate(text: str, *, exact: str, prefix: str, suffix: str, start: int | None) -> int:
    if start is not None and text.startswith(exact, start) and start >= 0:
        return start
    candidates = _occurrences(text, exact)
    if not candidates:
        raise SourceMapError(NOT_FOUND)
    if len(candidates) == 1:
        return candidates[0]
    in_context = [
        at
        for at in candidates
        if text.endswith(prefix, 0, at) and text.startswith(suffix, at + len(exact))
    ]
    if len(in_context) == 1:
        return in_context[0]
    raise SourceMapError(AMBIGUOUS)


def _occurrences(text: str, exact: str) -> list[int]:
    found: list[int] = []
    at = text.find(exact)
    while at >= 0:
        found.append(at)
        at = text.find(exact, at + 1)
    return found


def _verbatim_span(chart: _Chart, at: int, end: int, exact: str) -> tuple[int, int] | None:
    positions = chart.src_at[at:end]
    if not all(chart.verbatim_at[at:end]):
        return None
    first = positions[0]
    if positions != list(range(first, first + len(positions))):
        return None  # markup (or a line's indentation) lies between two selected characters
    if chart.source[first : first + len(exact)] != exact:
        return None
    return first, first + len(exact)


# --- The map -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chart:
    source: str  # line endings normalised as markdown-it does
    text: str  # plain_text(render_markdown(source))
    unit_at: list[int]  # per plain-text character: its unit, or -1 (between blocks, raw HTML)
    src_at: list[int]  # per character: its offset in `source`, or -1 (generated)
    verbatim_at: list[bool]  # the character is written as itself at src_at
    units: list[tuple[int, int]]  # source extent of each unit's content
    to_original: list[int] | None  # normalised offset -> offset in the caller's source

    def original(self, offset: int) -> int:
        return offset if self.to_original is None else self.to_original[offset]


@dataclass
class _Piece:
    positions: Sequence[int]  # source offset of each rendered character
    verbatim: bool


def _parser() -> MarkdownIt:
    md = _markdown_parser()
    md.disable(["text_join", "fragments_join"])
    return md


_PARSER = _parser()
_MARKER_BASES = (0xE000, 0xF0000, 0x100000)


def _normalise(source: str) -> tuple[str, list[int] | None]:
    """markdown-it's own normalisation (CR LF, CR -> LF; NUL -> U+FFFD), with an offset map."""
    normalised = source.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    if "\r\n" not in source:
        return normalised, None
    to_original: list[int] = []
    for index, char in enumerate(source):
        # A CR LF pair is one LF for markdown-it; it stands at the CR's offset.
        if not (char == "\n" and source.startswith("\r", index - 1) and index > 0):
            to_original.append(index)
    to_original.append(len(source))
    return normalised, to_original


@lru_cache(maxsize=16)
def _chart(original: str) -> _Chart:
    source, to_original = _normalise(original)
    base = next(b for b in _MARKER_BASES if not any(chr(b + k) in source for k in range(4)))
    unit_open, unit_close, piece_open, piece_close = (chr(base + k) for k in range(4))

    env: dict[str, Any] = {"nonce": f"{secrets.token_hex(8)}:"}
    tokens = _PARSER.parse(source, env)
    line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
    extents: list[tuple[int, int]] = []
    marked: list[tuple[Token, dict[int, _Piece]]] = []
    row_cursor = 0
    for index, token in enumerate(tokens):
        if token.type == "tr_open" and token.map:
            row_cursor = line_starts[token.map[0]]
        if token.type == "inline" and token.map is not None:
            in_cell = index > 0 and tokens[index - 1].type in ("th_open", "td_open")
            if in_cell:
                at = source.find(token.content, row_cursor)
                lines = [at] if at >= 0 else None
                if at >= 0:
                    row_cursor = at + len(token.content)
            else:
                lines = _line_bases(source, line_starts, token.content, token.map[0])
            pieces = _walk(token.content, token.children or []) if lines is not None else None
            if lines is None:
                extent = _block_extent(source, line_starts, token.map)
            else:
                convert = _converter(token.content, lines)
                extent = (convert(0), convert(len(token.content)))
            by_child: dict[int, _Piece] = {}
            if pieces is not None and lines is not None:
                for child_index, piece in pieces.items():
                    by_child[child_index] = _Piece(
                        [convert(p) for p in piece.positions], piece.verbatim
                    )
            extents.append(extent)
            marked.append((token, by_child))
        elif token.type in ("fence", "code_block") and token.map is not None:
            first_line = token.map[0] + (1 if token.type == "fence" else 0)
            lines = _line_bases(source, line_starts, token.content.removesuffix("\n"), first_line)
            if lines is None:
                piece = _Piece([-1] * len(token.content), verbatim=False)
                extent = _block_extent(source, line_starts, token.map)
            else:
                convert = _converter(token.content, lines)
                piece = _Piece([convert(p) for p in range(len(token.content))], verbatim=True)
                extent = (convert(0), convert(len(token.content)))
            extents.append(extent)
            marked.append((token, {-1: piece}))

    _prepare_tokens(tokens, number=None, nonce=env["nonce"])
    order: list[_Piece] = []
    for token, by_child in marked:
        if token.type == "inline":
            children: list[Token] = [_text(unit_open)]
            for child_index, child in enumerate(token.children or []):
                if child.type == "text_special":
                    child.type = "text"  # what text_join would have done
                walked = by_child.get(child_index)
                if walked is None:
                    children.append(child)
                else:
                    children += [_text(piece_open), child, _text(piece_close)]
                    order.append(walked)
            children.append(_text(unit_close))
            token.children = children
        else:
            token.content = unit_open + piece_open + token.content + piece_close + unit_close
            order.append(by_child[-1])
    # Children that were not walked (inline footnotes' own parse) may still be text_special.
    for token in tokens:
        for child in token.children or []:
            if child.type == "text_special":
                child.type = "text"

    html = sanitise(_PARSER.renderer.render(tokens, _PARSER.options, env))
    rendered = plain_text(html)
    return _read_markers(
        rendered,
        markers=(unit_open, unit_close, piece_open, piece_close),
        pieces=order,
        unit_count=len(extents),
        source=source,
        extents=extents,
        to_original=to_original,
    )


def _read_markers(
    rendered: str,
    *,
    markers: tuple[str, str, str, str],
    pieces: list[_Piece],
    unit_count: int,
    source: str,
    extents: list[tuple[int, int]],
    to_original: list[int] | None,
) -> _Chart:
    unit_open, unit_close, piece_open, _ = markers
    parts: list[str] = []
    unit_at: list[int] = []
    src_at: list[int] = []
    verbatim_at: list[bool] = []
    unit, piece, next_unit, next_piece = -1, None, 0, 0
    last = 0
    for match in re.finditer(f"[{''.join(markers)}]", rendered + unit_open):
        segment = rendered[last : match.start()]
        last = match.end()
        count = len(segment)
        parts.append(segment)
        unit_at += [unit] * count
        if piece is not None and len(piece.positions) == count:
            src_at += piece.positions
            verbatim_at += [piece.verbatim] * count
        else:
            src_at += [-1] * count
            verbatim_at += [False] * count
        marker = match.group()
        if match.start() == len(rendered):
            break
        if marker == unit_open:
            unit, next_unit = next_unit, next_unit + 1
        elif marker == unit_close:
            unit = -1
        elif marker == piece_open:
            if next_piece >= len(pieces):
                raise SourceMapError(UNMAPPED)
            piece, next_piece = pieces[next_piece], next_piece + 1
        else:
            piece = None
    if next_unit != unit_count or next_piece != len(pieces):
        raise SourceMapError(UNMAPPED)
    return _Chart(
        source=source,
        text="".join(parts),
        unit_at=unit_at,
        src_at=src_at,
        verbatim_at=verbatim_at,
        units=extents,
        to_original=to_original,
    )


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _line_bases(
    source: str, line_starts: list[int], content: str, first_line: int
) -> list[int] | None:
    """Source offset of each line of a block's inline content, or None if one is not found.

    A content line is its source line without the container markers and indentation in front
    (and, for the last line, trailing spaces or a heading's closing #s), so it is the last
    occurrence of itself in that line. Tabs expanded to spaces make it unfindable.
    """
    bases: list[int] = []
    for offset, line in enumerate(content.split("\n")):
        number = first_line + offset
        if number >= len(line_starts):
            return None
        begin = line_starts[number]
        finish = line_starts[number + 1] - 1 if number + 1 < len(line_starts) else len(source)
        at = source.rfind(line, begin, finish)
        if at < 0:
            return None
        bases.append(at)
    return bases


def _converter(content: str, bases: list[int]) -> Any:
    starts = [0]
    for line in content.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def convert(offset: int) -> int:
        line = bisect_right(starts, offset) - 1
        return bases[line] + offset - starts[line]

    return convert


def _block_extent(source: str, line_starts: list[int], lines: list[int]) -> tuple[int, int]:
    begin = line_starts[lines[0]]
    finish = line_starts[lines[1]] - 1 if lines[1] < len(line_starts) else len(source)
    return begin, max(begin, finish)


# --- Walking one block's inline tokens ---------------------------------------------------------

_SPACES = " \t"
_PAIR_MARKUP = frozenset(
    {"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"}
)


def _walk(content: str, children: list[Token]) -> dict[int, _Piece] | None:
    """Content offsets of the rendered characters of each text-like child, by child index.

    Markup is skipped by its known length; text tokens must then start at the cursor (or, in
    the rare cases the skipping is approximate, a little later). None when the walk loses track.
    """
    pieces: dict[int, _Piece] = {}
    cursor = 0
    for index, child in enumerate(children):
        kind = child.type
        if kind == "text":
            at = cursor if content.startswith(child.content, cursor) else None
            if at is None:
                at = content.find(child.content, cursor)
                if at < 0:
                    return None
            pieces[index] = _Piece(range(at, at + len(child.content)), verbatim=True)
            cursor = at + len(child.content)
        elif kind == "text_special":
            at = content.find(child.markup, cursor)
            if at < 0:
                return None
            pieces[index] = _Piece([at] * len(child.content), verbatim=False)
            cursor = at + len(child.markup)
        elif kind == "code_inline":
            found = _code_span(content, cursor, child)
            if found is None:
                return None
            pieces[index], cursor = found
        elif kind in _PAIR_MARKUP:
            at = content.find(child.markup, cursor)
            if at < 0:
                return None
            cursor = at + len(child.markup)
        elif kind == "link_open":
            at = content.find("<" if child.markup == "autolink" else "[", cursor)
            if at < 0:
                return None
            cursor = at + 1
        elif kind == "link_close":
            if child.markup == "autolink":
                at = content.find(">", cursor)
                if at < 0:
                    return None
                cursor = at + 1
            else:
                at = content.find("]", cursor)
                if at < 0:
                    return None
                cursor = _skip_link_tail(content, at + 1)
        elif kind == "image":
            cursor = _skip_link_tail(content, _skip_brackets(content, cursor + 1))
        elif kind == "footnote_ref":
            if content.startswith("^[", cursor):
                cursor = _skip_brackets(content, cursor + 1)
            else:
                at = content.find("]", cursor)
                if at < 0:
                    return None
                cursor = at + 1
        elif kind == "html_inline":
            at = content.find(child.content, cursor)
            if at < 0:
                return None
            cursor = at + len(child.content)
        elif kind in ("softbreak", "hardbreak"):
            at = content.find("\n", cursor)
            if at < 0:
                return None
            # A soft break renders as the source's own newline; a hard break is "  \n" or "\\\n".
            pieces[index] = _Piece([at], verbatim=kind == "softbreak")
            cursor = at + 1
            while cursor < len(content) and content[cursor] in _SPACES:
                cursor += 1
        else:
            return None
    return pieces


def _code_span(content: str, cursor: int, child: Token) -> tuple[_Piece, int] | None:
    fence = child.markup
    at = content.find(fence, cursor)
    if at < 0:
        return None
    inner = at + len(fence)
    closing = re.compile(rf"(?<!`){re.escape(fence)}(?!`)").search(content, inner)
    if closing is None:
        return None
    written = content[inner : closing.start()]
    if written == child.content:
        piece = _Piece(range(inner, closing.start()), verbatim=True)
    elif written[1:-1] == child.content:
        piece = _Piece(range(inner + 1, closing.start() - 1), verbatim=True)
    else:  # line endings inside the span render as spaces
        piece = _Piece([inner] * len(child.content), verbatim=False)
    return piece, closing.end()


def _skip_brackets(content: str, at: int) -> int:
    """Offset after the `]` that closes the `[` at ``at`` (nested brackets, escapes)."""
    depth = 0
    while at < len(content):
        char = content[at]
        if char == "\\":
            at += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return at + 1
        at += 1
    return at


def _skip_link_tail(content: str, at: int) -> int:
    """Offset after a link's `(destination "title")` or `[label]` that starts at ``at``."""
    if content.startswith("[", at):
        return _skip_brackets(content, at)
    if not content.startswith("(", at):
        return at
    end = len(content)
    pos = _skip_space(content, at + 1)
    destination = parseLinkDestination(content, pos, end)
    if destination.ok:
        pos = _skip_space(content, destination.pos)
        title = parseLinkTitle(content, pos, end)
        if title.ok:
            pos = _skip_space(content, title.pos)
    if content.startswith(")", pos):
        return pos + 1
    return at


def _skip_space(content: str, at: int) -> int:
    while at < len(content) and content[at] in " \t\n":
        at += 1
    return at
