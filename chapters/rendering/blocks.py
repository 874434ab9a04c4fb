"""Rendering a new chapter version block by block (``render_reusing``), reusing markdown-it's
output for the blocks an earlier version shares; the result equals ``render_markdown``'s."""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from markdown_it.token import Token

from chapters.rendering.markdown import (
    _MD,
    _footnote_id,
    _footnote_ref_id,
    _inline_text,
    _new_nonce,
    _prepare_tokens,
    render_markdown,
)
from chapters.rendering.sanitising import _clean_to_fixed_point, _cleaner
from chapters.rendering.sections import _heading_attributes

# A revision changes a few paragraphs of a long chapter, and parsing the Markdown was most of the
# time it took to save one. So a chapter is cut into top-level blocks, and markdown-it's output
# for each block is kept (by the block's source) and reused in the next version. Only what
# depends on the whole document is done again: heading ids and numbers, and sanitising (nh3 on
# the whole HTML, so raw HTML opened in one block and closed in another is treated as before).
# The result is the same string render_markdown gives (property-tested).
#
# The cuts must be where markdown-it's block parser is at top level with nothing open: after a
# blank line, before a line that starts in the first column and cannot continue what came
# before. A list item (a new item of the same list; a loose list's <p>s depend on it), a block
# quote marker and indentation are never cut before. Constructs that a blank line does not end
# (fenced code, <pre>/<script>/<style>/<textarea>, comments, <!...>, <?...?>), link reference
# definitions and inline footnotes make the document render whole.
#
# Footnotes are numbered in the order of their first reference, and their definitions may be
# anywhere: the blocks that contain "[^" are rendered together, in order, as one document (so
# numbering, back-links and the footnote list come out as in the whole), and reused as a group.


@dataclass(frozen=True)
class RenderedBlock:
    """markdown-it's output for one top-level block, before ids, numbers and sanitising.

    Each heading's start tag is written as `<hN id="\x00">`, and the nonce of footnote ids as
    "\x00": markdown-it replaces NUL in the source, so only we can write it."""

    html: str
    headings: tuple[tuple[str, str], ...]  # (tag, text) of each heading in it


@dataclass(frozen=True)
class FootnotedBlocks:
    """The blocks that contain "[^", rendered together: one RenderedBlock each, the footnote
    list that follows the chapter, and the footnote ids (which no heading id may take)."""

    blocks: tuple[RenderedBlock, ...]
    footnotes: str
    reserved: frozenset[str]


RenderedBlocks = dict[str, RenderedBlock | FootnotedBlocks]  # by block source (group: see below)

_PLACEHOLDER = "\x00"
_MARKED_HEADING = re.compile(r'<(h[2-6]) id="\x00">')
_NEEDS_WHOLE_DOCUMENT = re.compile(r"\^\[|```|~~~|<[!?]|<(?:script|pre|style|textarea)", re.I)
_FOOTNOTE_DEFINITION = re.compile(r"\[\^[^\]\n]*\]:")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
_MAY_CONTINUE = re.compile(r"[ \t>]|(?:[-+*]|\d{1,9}[.)])(?:[ \t\n]|\Z)")
_NEWLINES = re.compile(r"\r\n?")


def split_blocks(source: str) -> list[str] | None:
    """The source cut into parts that markdown-it renders alone as it renders them together
    (footnotes aside, see above), so that ``"".join(parts)`` is the source with newlines
    normalised; or None when it must see the whole document at once."""
    source = _NEWLINES.sub("\n", source).replace("\x00", "\ufffd")  # as markdown-it does
    if _NEEDS_WHOLE_DOCUMENT.search(source):
        return None
    # A link reference definition ("[label]: url") applies to links anywhere.
    if source.count("]:") != len(_FOOTNOTE_DEFINITION.findall(source)):
        return None
    parts = []
    start = 0
    for blank in _BLANK_LINES.finditer(source):
        at = blank.end()
        if at < len(source) and not _MAY_CONTINUE.match(source, at):
            parts.append(source[start:at])
            start = at
    parts.append(source[start:])
    return parts


def _marked(tokens: list[Token]) -> tuple[list[tuple[str, str]], set[str]]:
    # Puts the placeholder in each heading's start tag; returns the headings and footnote ids.
    headings: list[tuple[str, str]] = []
    reserved: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append((token.tag, _inline_text(tokens[index + 1])))
            token.attrs = {"id": _PLACEHOLDER}
        elif token.type == "footnote_open":
            reserved.add(_footnote_id(token))
        elif token.type == "inline":
            reserved.update(
                _footnote_ref_id(child)
                for child in token.children or []
                if child.type == "footnote_ref"
            )
    return headings, reserved


def _parsed(source: str) -> tuple[list[Token], dict[str, Any]]:
    env: dict[str, Any] = {"nonce": _PLACEHOLDER}
    tokens = _MD.parse(source, env)
    _prepare_tokens(tokens, number=None, nonce=_PLACEHOLDER)
    return tokens, env


def _render_block(source: str) -> RenderedBlock:
    tokens, env = _parsed(source)
    headings, _ = _marked(tokens)
    return RenderedBlock(_MD.renderer.render(tokens, _MD.options, env), tuple(headings))


def _render_footnoted(parts: list[str]) -> FootnotedBlocks:
    # Parsed as one document; the tokens of each part are told apart by their line numbers
    # (top-level tokens only: a part starts at top level), the footnote list is what follows.
    tokens, env = _parsed("".join(parts))
    _, reserved = _marked(tokens)
    firsts = list(accumulate((part.count("\n") for part in parts[:-1]), initial=0))
    tail = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    cuts = [0] * (len(parts) + 1)
    cuts[len(parts)] = tail
    owner = 0
    for index, token in enumerate(tokens[:tail]):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            part = bisect_right(firsts, token.map[0]) - 1
            for later in range(owner + 1, part + 1):
                cuts[later] = index
            owner = max(owner, part)
    for later in range(owner + 1, len(parts)):
        cuts[later] = tail
    blocks = []
    for start, end in itertools.pairwise(cuts):
        chunk = tokens[start:end]
        headings = tuple(
            (t.tag, _inline_text(chunk[i + 1]))
            for i, t in enumerate(chunk)
            if t.type == "heading_open"
        )
        blocks.append(RenderedBlock(_MD.renderer.render(chunk, _MD.options, env), headings))
    footnotes = _MD.renderer.render(tokens[tail:], _MD.options, env)
    return FootnotedBlocks(tuple(blocks), footnotes, frozenset(reserved))


def render_reusing(
    source: str, *, number: int | None, blocks: Mapping[str, RenderedBlock | FootnotedBlocks]
) -> tuple[str, RenderedBlocks | None]:
    """``render_markdown(source, number=number)``, reusing ``blocks`` rendered for an earlier
    version of the same text; also returns this version's blocks (None when the document had
    to be rendered whole) for the next one."""
    parts = split_blocks(source)
    if parts is None:
        return render_markdown(source, number=number), None
    rendered: RenderedBlocks = {}
    footnoted = [part for part in parts if "[^" in part]
    group: FootnotedBlocks | None = None
    if footnoted:
        key = _PLACEHOLDER.join(["footnotes", *footnoted])  # no block source holds NUL
        found = blocks.get(key)
        group = found if isinstance(found, FootnotedBlocks) else _render_footnoted(footnoted)
        rendered[key] = group
    html_parts: list[str] = []
    headings: list[tuple[str, str]] = []
    in_group = iter(group.blocks if group else ())
    for part in parts:
        if "[^" in part:
            block = next(in_group)
        else:
            known = rendered.get(part) or blocks.get(part)
            block = known if isinstance(known, RenderedBlock) else _render_block(part)
            rendered[part] = block
        html_parts.append(block.html)
        headings.extend(block.headings)
    if group:
        html_parts.append(group.footnotes)
    nonce = _new_nonce()
    reserved = set(group.reserved) if group else set()
    attributes = iter(_heading_attributes(headings, reserved, number=number, nonce=nonce))

    def named(mark: re.Match[str]) -> str:
        ident, secnum = next(attributes)
        numbered = "" if secnum is None else f' data-secnum="{secnum}"'
        return f'<{mark[1]} id="{ident}"{numbered}>'

    html = _MARKED_HEADING.sub(named, "".join(html_parts)).replace(_PLACEHOLDER, nonce)
    return _clean_to_fixed_point(html, _cleaner(nonce)).replace(nonce, ""), rendered
