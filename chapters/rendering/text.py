"""Reading rendered HTML: its ``textContent`` (``plain_text``, the text comments are anchored
on), its headings (``outline``) and where each starts in that text (``heading_offsets``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from itertools import accumulate

from chapters.rendering.sanitising import HEADING_TAGS

# The HTML parser drops one LF directly after these start tags (an authoring convenience).
_LEADING_NEWLINE_DROPPED = frozenset({"pre", "textarea", "listing"})


class _TextContent(HTMLParser):
    """Collects text the way the DOM's ``textContent`` sees it, optionally per heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.headings: list[Heading] = []
        self.heading_parts: list[int] = []  # for each heading, the index of its first part
        self._drop_newline = False
        self._heading: tuple[str, str, str, int] | None = None  # tag, id, number, first part

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._drop_newline = tag in _LEADING_NEWLINE_DROPPED
        if tag in HEADING_TAGS and self._heading is None:
            values = dict(attrs)
            self._heading = (
                tag,
                values.get("id") or "",
                values.get("data-secnum") or "",
                len(self.parts),
            )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # HTML ignores the self-closing slash on non-void elements: <pre/> opens a <pre>.
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._drop_newline = False
        if self._heading is not None and tag == self._heading[0]:
            tag, ident, number, first = self._heading
            text = "".join(self.parts[first:]).strip()
            self.headings.append(Heading(int(tag[1]), ident, number, text))
            self.heading_parts.append(first)
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._drop_newline and data.startswith("\n"):
            data = data[1:]
        self._drop_newline = False
        self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        self._drop_newline = False

    def handle_decl(self, decl: str) -> None:
        self._drop_newline = False

    def handle_pi(self, data: str) -> None:
        self._drop_newline = False

    def unknown_decl(self, data: str) -> None:
        self._drop_newline = False


# What html5ever (through nh3) writes: text without "<", and tags with lower-case names and
# double-quoted attribute values. For exactly this shape, text is what lies between the tags;
# anything else (comments, declarations, raw-text elements, stray "<") goes to the full parser.
_SERIALISED = re.compile(r'(?:[^<]++|</?[a-z][a-z0-9]*+(?: [a-z][a-z0-9-]*+="[^"<>]*+")*+>)*+')
_NOT_SERIALISED_TEXT = re.compile(
    r"<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext)\b",
    re.IGNORECASE,
)
# Splits into text, a start tag that drops the LF after it (its name captured), text, ...
_TAGS = re.compile(r"<(?:(pre|textarea|listing)\b[^>]*|[^>]*)>")


def _serialised_text(html: str) -> str | None:
    """``textContent`` read with one regular expression, or None if ``html`` is not shaped as
    the sanitiser writes it. Equal to the parser's result whenever it answers (property-tested);
    the parser in pure Python took as long as the rest of re-anchoring a long chapter."""
    if _SERIALISED.fullmatch(html) is None or _NOT_SERIALISED_TEXT.search(html):
        return None
    pieces = _TAGS.split(html)
    parts = []
    drop_newline = False
    # pieces: text, tag name or None, text, tag name or None, ..., text
    for index, piece in enumerate(pieces):
        if index % 2:
            drop_newline = piece is not None
            continue
        if not piece:
            continue
        if "&" in piece:
            piece = unescape(piece)
        if drop_newline and piece.startswith("\n"):
            piece = piece[1:]
        parts.append(piece)
    return "".join(parts)


def heading_offsets(html: str) -> list[tuple[int, Heading]]:
    """Each heading of rendered HTML with the offset where it starts in ``plain_text(html)``:
    the space thread positions live in, so a position can be placed in its section."""
    parser = _parse(html)
    lengths = list(accumulate((len(part) for part in parser.parts), initial=0))
    return [
        (lengths[first], heading)
        for first, heading in zip(parser.heading_parts, parser.headings, strict=True)
    ]


def _parse(html: str) -> _TextContent:
    parser = _TextContent()
    parser.feed(_preprocessed(html))
    parser.close()
    return parser


def _preprocessed(html: str) -> str:
    # Input-stream preprocessing happens before tokenising: CR LF and lone CR become LF, so a
    # `&#13;` reference stays a CR. A raw NUL in body text is ignored by the tree builder.
    return html.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def plain_text(html: str) -> str:
    """What ``element.textContent`` is for an element whose innerHTML is ``html``.

    Comments are anchored on offsets into this string, and the browser computes the same
    offsets in the chapter container's ``textContent``, so the two must agree to the character.

    Exact for what ``render_markdown`` returns, under these assumptions:

    - ``html`` is a fixed point of the sanitiser, i.e. a faithful serialisation of the DOM the
      browser builds from it (no foster-parented text, no misnested tags), so text nodes appear
      in the string in tree order and ``textContent`` is their concatenation, whitespace-only
      nodes between blocks included;
    - it holds no raw-text or RCDATA elements (script, style, textarea, title...), which the
      sanitiser removes; stdlib ``html.parser`` would tokenise some of them differently;
    - character references decode as ``html.unescape`` does, which matches browsers except for
      numeric references to C0/C1 controls and noncharacters (Python drops them; browsers keep
      them). Sanitised output has none: html5ever writes those characters out literally.

    Browser rules applied: entities decoded; ``<br>``, ``<img>``, ``<hr>`` and comments add
    nothing; one LF directly after a ``<pre>``/``<textarea>``/``<listing>`` start tag (also when
    written as ``&#10;``) is dropped; CR LF and CR become LF; raw NUL is dropped.

    Offsets are in code points; JavaScript strings count UTF-16 code units, so characters
    outside the BMP (emoji) count 2 there and 1 here.
    """
    text = _serialised_text(_preprocessed(html))
    return "".join(_parse(html).parts) if text is None else text


@dataclass(frozen=True)
class Heading:
    level: int  # of the rendered tag: a Markdown `#` or `##` is 2
    id: str  # "" for a heading written as raw HTML (no id, not numbered)
    number: str  # "3.1", or "" when unnumbered (preview, h5/h6, raw HTML)
    text: str  # the heading's textContent, stripped


def outline(html: str) -> list[Heading]:
    """Headings of a rendered chapter in document order, for a table of contents and exports."""
    return _parse(html).headings
