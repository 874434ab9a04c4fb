"""Markdown to sanitised HTML in one pass: the markdown-it parser (CommonMark, GFM tables and
strikethrough, footnotes with our ids), the pass over its tokens (heading levels, ids and
numbers, table alignment, GFM's tag filter), ``render_markdown`` and ``markdownify``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from chapters.rendering.sanitising import _CLEAN_CONTENT_TAGS, _clean_to_fixed_point, _cleaner
from chapters.rendering.sections import _heading_attributes


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


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


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


def markdownify(source: str) -> str:
    """django-markdownx preview (MARKDOWNX_MARKDOWNIFY_FUNCTION): the same pipeline, unnumbered."""
    return render_markdown(source)
