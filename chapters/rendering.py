"""Markdown to sanitised HTML, and the text that comments are anchored on.

Pipeline: markdown-it-py (CommonMark with raw HTML allowed, GFM tables and strikethrough,
footnotes) -> a pass over the tokens (heading ids and section numbers, footnote ids, table
alignment as classes, GFM's tag filter on raw HTML) -> nh3 allow-list sanitiser, repeated until
its output is a fixed point.

Why the fixed point: the browser re-parses our HTML string. If the sanitiser removed an element
whose text it then left somewhere the HTML parser would not put it (say text directly inside
``<table>``), the browser would move that text and its ``textContent`` would no longer follow the
order of the string. A second nh3 pass does exactly that re-parse; once ``clean(html) == html``
the string is a faithful serialisation of the tree the browser builds from it, which is what lets
``plain_text`` read text offsets off the string (see ``plain_text``).

Ids we add (headings, footnotes) must survive a sanitiser that drops every ``id`` the author
wrote (DOM clobbering). We prefix ours with an unpredictable per-render nonce, let only
nonce-prefixed ``id`` and ``data-secnum`` values through, and strip the nonce afterwards. The nonce
never reaches the output, so rendering stays deterministic.
"""

from __future__ import annotations

import itertools
import re
import secrets
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from itertools import accumulate
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

# Part of the cache key of rendered chapter versions: bump it whenever the HTML output changes.
RENDERER_VERSION: int = 2

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", *HEADING_TAGS,
        "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
        "dl", "dt", "dd",
        "section",  # only because the footnote block is a <section class="footnotes">
        "abbr", "mark", "span",
    }
)  # fmt: skip

# Removed together with their content: their text is code, styling or a widget, never prose.
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "svg", "math", "template", "noscript", "noembed", "noframes", "textarea", "select",
        "xmp", "title",
    }
)  # fmt: skip

_CELL_ATTRIBUTES = {"colspan", "rowspan", "class"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),  # nh3 would otherwise allow lang and title everywhere
    "a": {"href", "title", "class", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start", "class"},
    "li": {"class", "id"},
    "th": _CELL_ATTRIBUTES,
    "td": _CELL_ATTRIBUTES,
    "code": {"class"},
    "sup": {"class"},
    "hr": {"class"},
    "section": {"class"},
    "abbr": {"title"},
    **{tag: {"id", "data-secnum"} for tag in HEADING_TAGS},
}
# `id` and `data-secnum` are listed above but only survive when we wrote them (nonce-prefixed).
_OURS_ONLY = frozenset({"id", "data-secnum"})

ALIGN_CLASSES = frozenset({"align-left", "align-center", "align-right"})
ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    "th": ALIGN_CLASSES,
    "td": ALIGN_CLASSES,
    "sup": frozenset({"footnote-ref"}),
    "a": frozenset({"footnote-backref"}),
    "hr": frozenset({"footnotes-sep"}),
    "section": frozenset({"footnotes"}),
    "ol": frozenset({"footnotes-list"}),
    "li": frozenset({"footnote-item"}),
}
_CODE_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "start": re.compile(r"-?\d{1,9}"),
    "colspan": re.compile(r"\d{1,4}"),
    "rowspan": re.compile(r"\d{1,4}"),
    "width": re.compile(r"\d{1,5}"),
    "height": re.compile(r"\d{1,5}"),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})  # plus relative URLs (/media/…, #fn-1)


def _keep_classes(tag: str, value: str) -> str | None:
    if tag == "code":
        kept = [name for name in value.split() if _CODE_LANGUAGE_CLASS.fullmatch(name)]
    else:
        allowed = ALLOWED_CLASSES.get(tag, frozenset())
        kept = [name for name in value.split() if name in allowed]
    return " ".join(kept) or None


def _attribute_filter(nonce: str | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _OURS_ONLY:
            return value if nonce is not None and value.startswith(nonce) else None
        if attribute == "class":
            return _keep_classes(tag, value)
        pattern = _VALUE_PATTERNS.get(attribute)
        if pattern is not None and not pattern.fullmatch(value.strip()):
            return None
        return value

    return keep


def _cleaner(nonce: str | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(nonce),
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
    )


_PUBLIC_CLEANER = _cleaner(None)
_MAX_PASSES = 4


def _clean_to_fixed_point(html: str, cleaner: nh3.Cleaner) -> str:
    # Almost always two passes: the first cleans, the second confirms. Every pass is a full
    # sanitise, so stopping early (never seen) would cost offset exactness, not safety.
    for _ in range(_MAX_PASSES):
        cleaned = cleaner.clean(html)
        if cleaned == html:
            break
        html = cleaned
    return html


def sanitise(html: str) -> str:
    """Allow-list sanitise an HTML fragment. Every ``id``/``data-secnum`` is dropped."""
    return _clean_to_fixed_point(html, _PUBLIC_CLEANER)


# --- Markdown ---------------------------------------------------------------------------------


def _footnote_id(token: Token) -> str:
    return f"fn-{token.meta['id'] + 1}"


def _footnote_ref_id(token: Token) -> str:
    sub_id = token.meta.get("subId", 0)
    suffix = f"-{sub_id}" if sub_id > 0 else ""
    return f"fnref-{token.meta['id'] + 1}{suffix}"


def _render_footnote_ref(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[idx]
    number = token.meta["id"] + 1
    sub_id = token.meta.get("subId", 0)
    caption = f"[{number}:{sub_id}]" if sub_id > 0 else f"[{number}]"
    return (
        f'<sup class="footnote-ref"><a href="#fn-{number}" '
        f'id="{env["nonce"]}{_footnote_ref_id(token)}">{caption}</a></sup>'
    )


def _render_footnote_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    return f'<li id="{env["nonce"]}{_footnote_id(tokens[idx])}" class="footnote-item">'


def _render_footnote_anchor(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    # U+FE0E keeps iOS from drawing the arrow as an emoji.
    href = f"#{_footnote_ref_id(tokens[idx])}"
    return f' <a href="{href}" class="footnote-backref">\u21a9\ufe0e</a>'


def _render_footnote_block_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    return '<hr class="footnotes-sep">\n<section class="footnotes">\n<ol class="footnotes-list">\n'


def _markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("footnote_open", _render_footnote_open)
    md.add_render_rule("footnote_anchor", _render_footnote_anchor)
    md.add_render_rule("footnote_block_open", _render_footnote_block_open)
    return md


# Shared: MarkdownIt keeps no per-document state on the instance (that lives in `env`/state).
_MD = _markdown_parser()

_LATIN_WITHOUT_DECOMPOSITION = {
    "đ": "dj",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "ı": "i",
    "þ": "th",
    "ð": "d",
    "ħ": "h",
}
_MAX_SLUG_LENGTH = 80


def _fold(char: str) -> str:
    """ASCII-fold Latin letters (ë -> e, č -> c, đ -> dj); keep every other script as it is."""
    if char.isascii():
        return char
    if char in _LATIN_WITHOUT_DECOMPOSITION:
        return _LATIN_WITHOUT_DECOMPOSITION[char]
    decomposed = unicodedata.normalize("NFKD", char)
    # Only fold when the base is ASCII: Cyrillic й and Macedonian ќ must not become и and к.
    if decomposed[0].isascii():
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return char


def slugify(text: str) -> str:
    """Lowercase slug of letters and digits joined by '-', e.g. 'Гранична полиција'."""
    folded = "".join(_fold(c) for c in unicodedata.normalize("NFC", text).lower())
    kept = "".join(c if unicodedata.category(c)[0] in "LNM" else "-" for c in folded)
    slug = re.sub(r"-{2,}", "-", kept).strip("-")
    return slug[:_MAX_SLUG_LENGTH].rstrip("-")


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _unique(candidate: str, used: set[str]) -> str:
    unique, suffix = candidate, 1
    while unique in used:
        suffix += 1
        unique = f"{candidate}-{suffix}"
    used.add(unique)
    return unique


_ALIGNMENT_STYLE = re.compile(r"text-align:\s*(left|center|right)")

# GFM's "disallowed raw HTML" rule, widened to every tag the sanitiser removes with its content:
# the `<` of such a tag is written as `&lt;`, so the tag shows as text. Without it, one stray
# `<script>` or `<svg>` in a paragraph would make the parser swallow the rest of the chapter
# (the footnotes included) and the sanitiser would then delete it. Safety does not depend on
# this; the sanitiser still runs on everything.
_FILTERED_TAGS = "|".join(sorted(_CLEAN_CONTENT_TAGS | {"plaintext"}))
_TAG_FILTER = re.compile(rf"<(?=/?(?:{_FILTERED_TAGS})(?:[\t\n\f\r />]|\Z))", re.IGNORECASE)


def _prepare_tokens(tokens: list[Token], *, number: int | None, nonce: str) -> None:
    """Heading levels, ids and numbers, table alignment and the raw-HTML tag filter.

    Numbering: ``##`` (and ``#``, which renders as <h2> under the page's <h1> title) -> N.1,
    ``###`` -> N.1.1, ``####`` -> N.1.1.1; h5/h6 are unnumbered. A skipped level counts as 0, so
    a ``###`` before any ``##`` is N.0.1: no number is ever repeated or made up.
    """
    headings, reserved = _prepare_blocks(tokens)
    # mdit-py-plugins emits a back-link per counted reference even when the reference itself was
    # dropped (it sat in a definition that a duplicate label replaced); keep only live ones.
    tokens[:] = [
        token
        for token in tokens
        if token.type != "footnote_anchor" or _footnote_ref_id(token) in reserved
    ]
    named = [(heading.tag, _inline_text(inline)) for heading, inline in headings]
    for (heading, _), (ident, secnum) in zip(
        headings, _heading_attributes(named, reserved, number=number, nonce=nonce), strict=True
    ):
        heading.attrSet("id", ident)
        if secnum is not None:
            heading.attrSet("data-secnum", secnum)


def _prepare_blocks(tokens: list[Token]) -> tuple[list[tuple[Token, Token]], set[str]]:
    # Everything in _prepare_tokens that depends on one block alone; returns the headings (open
    # and inline token) and the footnote ids, which heading ids must not take.
    reserved: set[str] = set()
    headings: list[tuple[Token, Token]] = []
    for index, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"
        if token.type == "heading_open":
            headings.append((token, tokens[index + 1]))
        elif token.type == "footnote_open":
            reserved.add(_footnote_id(token))
        elif token.type == "html_block":
            token.content = _TAG_FILTER.sub("&lt;", token.content)
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "footnote_ref":
                    reserved.add(_footnote_ref_id(child))
                elif child.type == "html_inline":
                    child.content = _TAG_FILTER.sub("&lt;", child.content)
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            match = _ALIGNMENT_STYLE.search(str(style or ""))
            if match:
                token.attrSet("class", f"align-{match[1]}")
    return headings, reserved


def _heading_attributes(
    headings: Sequence[tuple[str, str]], reserved: set[str], *, number: int | None, nonce: str
) -> list[tuple[str, str | None]]:
    # (id, data-secnum or None) of each (tag, text) heading, in document order.
    used = set(reserved)  # heading ids must never take a footnote's id
    counters = [0, 0, 0]  # h2, h3, h4
    attributes: list[tuple[str, str | None]] = []
    for position, (tag, text) in enumerate(headings, start=1):
        slug = slugify(text) or f"section-{position}"
        secnum = None
        depth = int(tag[1]) - 2
        if number is not None and depth < len(counters):
            counters[depth] += 1
            counters[depth + 1 :] = [0] * (len(counters) - depth - 1)
            secnum = nonce + ".".join(str(n) for n in (number, *counters[: depth + 1]))
        attributes.append((nonce + _unique(slug, used), secnum))
    return attributes


def _new_nonce() -> str:
    # The nonce's only job is to be unguessable by whoever wrote `source`; ':' cannot occur in
    # a slug, so no heading text can spell it either.
    return f"{secrets.token_hex(8)}:"


def render_markdown(source: str, *, number: int | None = None) -> str:
    """Render a chapter body to a sanitised HTML fragment.

    ``number`` is the chapter number used for section numbers (``data-secnum``); None (the
    editor preview) renders ids without numbers. Deterministic: same source, same HTML.
    """
    nonce = _new_nonce()
    env: dict[str, Any] = {"nonce": nonce}
    tokens = _MD.parse(source, env)
    _prepare_tokens(tokens, number=number, nonce=nonce)
    html = _MD.renderer.render(tokens, _MD.options, env)
    return _clean_to_fixed_point(html, _cleaner(nonce)).replace(nonce, "")


# --- Rendering a new version block by block ---------------------------------------------------
#
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


def markdownify(source: str) -> str:
    """django-markdownx preview (MARKDOWNX_MARKDOWNIFY_FUNCTION): the same pipeline, unnumbered."""
    return render_markdown(source)


# --- Reading rendered HTML --------------------------------------------------------------------

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
