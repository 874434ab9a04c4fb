"""The combined HTML document that every format but the Markdown bundle starts from: chapter
HTML rewritten (ids prefixed, headings numbered, images resolved, footnotes for pandoc), the
cover, contents and release notes, and the export stylesheets."""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from collections.abc import Callable
from pathlib import Path

from chapters.exporting.document import (
    ExportChapter,
    ExportDocument,
    ExportError,
    _draft_mark,
    _ordered,
    _speaking,
)
from chapters.rendering import outline, render_markdown
from handbook_review.translation import date_format
from handbook_review.translation import gettext as _

EXPORT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "chapters" / "export"


# A tokeniser for what the sanitiser serialises (html5ever): text never holds a raw `<`, and
# every attribute is written as name="value" with `"` escaped. Attribute values may hold `>`,
# so tags are matched attribute by attribute, never with [^>]*.
_TAG = re.compile(
    r"</(?P<close>[a-zA-Z][a-zA-Z0-9]*)\s*>"
    r"|<(?P<open>[a-zA-Z][a-zA-Z0-9]*)(?P<attrs>(?:\s+[^\s\"'=<>/`]+(?:=\"[^\"]*\")?)*)\s*/?>"
)
_ATTRIBUTE = re.compile(r"([^\s\"'=<>/`]+)(?:=\"([^\"]*)\")?")
_NUMBERED = frozenset({"h2", "h3", "h4"})

Attrs = list[tuple[str, str]]


def _attrs(source: str) -> Attrs:
    return [
        (name.lower(), html.unescape(value or "")) for name, value in _ATTRIBUTE.findall(source)
    ]


def _open_tag(tag: str, attrs: Attrs) -> str:
    written = "".join(f' {name}="{html.escape(value)}"' for name, value in attrs)
    return f"<{tag}{written}>"


ImageResolver = Callable[[str], str | None]  # image src -> URL to use, or None: drop the image


def _rewrite_fragment(
    fragment: str, *, prefix: str, resolve_image: ImageResolver, for_pandoc: bool
) -> str:
    """Prefix ids, number headings and resolve images of one rendered fragment."""

    def replace(match: re.Match[str]) -> str:
        closing = match["close"]
        if closing is not None:
            # A raw <h1> in a body would pose as a chapter: chapters own level 1.
            return "</h2>" if closing.lower() == "h1" else match[0]
        tag = match["open"].lower()
        attrs = _attrs(match["attrs"])
        values = dict(attrs)
        if tag == "img":
            return _image(values, resolve_image)
        if tag == "h1":
            tag = "h2"
        suffix = ""
        kept: Attrs = []
        for name, value in attrs:
            if name == "id":
                kept.append((name, prefix + value))
            elif name == "href" and value.startswith("#"):
                kept.append((name, f"#{prefix}{value[1:]}"))
            elif name == "data-secnum":
                if tag in _NUMBERED:
                    suffix = f'<span class="secnum">{html.escape(value)}</span> '
                kept.append((name, value))
            elif name == "rel":
                continue  # noopener on in-page links means nothing in a file
            else:
                kept.append((name, value))
        if for_pandoc:
            kept = _pandoc_attributes(tag, kept)
        return _open_tag(tag, kept) + suffix

    rewritten = _TAG.sub(replace, fragment)
    return _pandoc_footnotes(rewritten) if for_pandoc else rewritten


def _image(values: dict[str, str], resolve_image: ImageResolver) -> str:
    alt = values.get("alt", "")
    url = resolve_image(values.get("src", ""))
    if url is None:
        return f'<span class="image-missing">[{html.escape(alt or "image")}]</span>'
    attrs = [("src", url), ("alt", alt)]
    attrs += [(name, values[name]) for name in ("title", "width", "height") if name in values]
    return _open_tag("img", attrs)


_ALIGNMENT = {"align-left": "left", "align-center": "center", "align-right": "right"}


def _pandoc_attributes(tag: str, attrs: Attrs) -> Attrs:
    classes = dict(attrs).get("class", "").split()
    if tag in ("th", "td"):
        for name in classes:
            if name in _ALIGNMENT:
                return [*attrs, ("style", f"text-align: {_ALIGNMENT[name]}")]
    if tag == "section" and "footnotes" in classes:
        return [*attrs, ("role", "doc-endnotes")]
    if tag == "a" and "footnote-backref" in classes:
        return [*attrs, ("role", "doc-backlink")]
    return attrs


# Our renderer's note reference and separator, in the form pandoc's HTML reader turns back
# into a note (a doc-noteref link to an item of a doc-endnotes section).
_NOTE_REF = re.compile(
    r'<sup class="footnote-ref"><a href="(#[^"]*)" id="([^"]*)">\[([^\]<]*)\]</a></sup>'
)
_NOTES_SEPARATOR = re.compile(r'<hr class="footnotes-sep">\n?')


def _pandoc_footnotes(chapter_html: str) -> str:
    chapter_html = _NOTE_REF.sub(
        r'<a href="\1" id="\2" class="footnote-ref" role="doc-noteref"><sup>\3</sup></a>',
        chapter_html,
    )
    return _NOTES_SEPARATOR.sub("", chapter_html)


# --- The combined HTML document ---------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _release_notes(doc: ExportDocument, *, resolve_image: ImageResolver, for_pandoc: bool) -> str:
    if not doc.release_notes.strip():
        return ""
    notes = _rewrite_fragment(
        render_markdown(doc.release_notes),
        prefix="notes-",
        resolve_image=resolve_image,
        for_pandoc=for_pandoc,
    )
    return (
        '<section class="release-notes"><p class="release-notes-title"><strong>'
        f"{_esc(_('Release notes'))}</strong></p>\n{notes}</section>"
    )


def _cover(doc: ExportDocument, chapters: list[ExportChapter]) -> str:
    parts = ['<header class="cover">']
    if doc.distribution_marking:
        parts.append(f'<p class="marking">{_esc(doc.distribution_marking)}</p>')
    parts.append(f'<p class="cover-title">{_esc(doc.title)}</p>')
    edition = _("Edition %(label)s") % {"label": doc.label}
    parts.append(f'<p class="edition">{_esc(edition)}</p>')
    long_date = _esc(date_format(doc.date, "DATE_FORMAT"))  # "1 March 2026", "1. mart 2026."
    parts.append(f'<p class="date"><time datetime="{doc.date.isoformat()}">{long_date}</time></p>')
    if doc.organisations:
        items = "".join(f"<li>{_esc(name)}</li>" for name in doc.organisations)
        parts.append(f'<ul class="organisations">{items}</ul>')
    if doc.draft:
        parts.append(f'<p class="draft-notice">{_esc(_draft_mark(doc))}</p>')
        parts.append(_versions_table(chapters))
    parts.append("</header>")
    return "\n".join(parts)


def _versions_table(chapters: list[ExportChapter]) -> str:
    rows = "".join(
        f"<tr><td>{chapter.number}</td><td>{_esc(chapter.title)}</td>"
        f"<td>{chapter.version}</td></tr>"
        for chapter in chapters
    )
    return (
        f'<table class="versions"><thead><tr><th>{_esc(_("Chapter"))}</th>'
        f"<th>{_esc(_('Title'))}</th><th>{_esc(_('Version'))}</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _toc(chapters: list[ExportChapter]) -> str:
    items: list[str] = []
    for chapter in chapters:
        sections = [
            f'<li class="toc-section"><a href="#c{chapter.number}-{_esc(heading.id)}">'
            f"{_esc(heading.number)} {_esc(heading.text)}</a></li>"
            for heading in outline(chapter.html)
            if heading.level == 2 and heading.id and heading.number
        ]
        nested = f"<ol>{''.join(sections)}</ol>" if sections else ""
        items.append(
            f'<li class="toc-chapter"><a href="#chapter-{chapter.number}">'
            f"{chapter.number}. {_esc(chapter.title)}</a>{nested}</li>"
        )
    title = _esc(_("Contents"))
    return f'<nav class="toc"><h1 class="toc-title">{title}</h1><ol>{"".join(items)}</ol></nav>'


def _chapter_section(chapter: ExportChapter, body: str, *, for_pandoc: bool) -> str:
    heading = f'<h1 class="chapter-title" id="chapter-{chapter.number}">'
    heading += f"{chapter.number}. {_esc(chapter.title)}</h1>"
    if for_pandoc:
        # Unwrapped: pandoc splits an EPUB only at headings that are not inside a <section>.
        return f"{heading}\n{body}"
    return f'<section class="chapter">\n{heading}\n{body}\n</section>'


def _document(
    doc: ExportDocument,
    *,
    head: str,
    resolve_image: ImageResolver,
    for_pandoc: bool = False,
) -> str:
    with _speaking(doc):
        return _combined(doc, head=head, resolve_image=resolve_image, for_pandoc=for_pandoc)


def _combined(
    doc: ExportDocument,
    *,
    head: str,
    resolve_image: ImageResolver,
    for_pandoc: bool,
) -> str:
    chapters = _ordered(doc)
    sections = [
        _chapter_section(
            chapter,
            _rewrite_fragment(
                chapter.html,
                prefix=f"c{chapter.number}-",
                resolve_image=resolve_image,
                for_pandoc=for_pandoc,
            ),
            for_pandoc=for_pandoc,
        )
        for chapter in chapters
    ]
    notes = _release_notes(doc, resolve_image=resolve_image, for_pandoc=for_pandoc)
    if for_pandoc:
        # pandoc makes the title page from <meta>; it gets no cover or TOC of ours.
        front = ""
        if doc.draft:
            front = f"<p><strong>{_esc(_draft_mark(doc))}</strong></p>{_versions_table(chapters)}"
        front += notes
    else:
        watermark = f'<div class="watermark">{_esc(_draft_mark(doc))}</div>' if doc.draft else ""
        front = watermark + _cover(doc, chapters) + notes + _toc(chapters)
    return (
        f'<!DOCTYPE html>\n<html lang="{_esc(doc.language or "en")}">\n<head>\n'
        f'<meta charset="utf-8">\n<title>{_esc(doc.title)}</title>\n{head}\n</head>\n<body>\n'
        f"{front}\n{chr(10).join(sections)}\n</body>\n</html>\n"
    )


def _read_css(name: str) -> str:
    try:
        return (EXPORT_TEMPLATES / name).read_text(encoding="utf-8")
    except OSError as error:
        raise ExportError(f"cannot read the export stylesheet {name}: {error}") from error


def _css_string(text: str) -> str:
    """A CSS string literal that no value can break out of."""
    escaped = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x}" for c in text)
    return f'"{escaped}"'


def _data_uri(path: Path) -> str:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{content_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
