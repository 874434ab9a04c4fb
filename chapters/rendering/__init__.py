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

Modules: ``sanitising`` (the nh3 allow-list and the fixed point), ``sections`` (slugs, heading
ids, section numbers), ``markdown`` (markdown-it and ``render_markdown``), ``blocks``
(``render_reusing``, block by block) and ``text`` (``plain_text``, ``outline``, headings). This
package re-exports what the rest of the project uses, so callers import ``chapters.rendering``.
"""

from __future__ import annotations

from chapters.rendering.blocks import (
    FootnotedBlocks,
    RenderedBlock,
    RenderedBlocks,
    render_reusing,
    split_blocks,
)
from chapters.rendering.markdown import _MD as _MD
from chapters.rendering.markdown import _markdown_parser as _markdown_parser
from chapters.rendering.markdown import _prepare_tokens as _prepare_tokens
from chapters.rendering.markdown import markdownify, render_markdown
from chapters.rendering.sanitising import (
    ALIGN_CLASSES,
    ALLOWED_ATTRIBUTES,
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    HEADING_TAGS,
    URL_SCHEMES,
    sanitise,
)
from chapters.rendering.sections import slugify
from chapters.rendering.text import Heading, heading_offsets, outline, plain_text
from chapters.rendering.text import _parse as _parse
from chapters.rendering.text import _serialised_text as _serialised_text

# Part of the cache key of rendered chapter versions: bump it whenever the HTML output changes.
RENDERER_VERSION: int = 2

__all__ = [
    "ALIGN_CLASSES",
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_CLASSES",
    "ALLOWED_TAGS",
    "HEADING_TAGS",
    "RENDERER_VERSION",
    "URL_SCHEMES",
    "FootnotedBlocks",
    "Heading",
    "RenderedBlock",
    "RenderedBlocks",
    "heading_offsets",
    "markdownify",
    "outline",
    "plain_text",
    "render_markdown",
    "render_reusing",
    "sanitise",
    "slugify",
    "split_blocks",
]
