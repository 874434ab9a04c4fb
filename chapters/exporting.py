"""Exports of a handbook snapshot: PDF, DOCX, EPUB 3, one-file HTML and a Markdown bundle.

Pure functions over plain data (no ORM): the caller freezes the chapters it wants into an
``ExportDocument`` and gets ``bytes`` back, or ``ExportError`` and never a broken file.

Every format but the Markdown bundle starts from the same combined HTML document, built from
each chapter's already sanitised HTML (``chapters.rendering.render_markdown``):

- ids are prefixed per chapter (``c3-``), because every chapter has its own ``fn-1`` and may
  repeat a section slug; in-page links follow;
- section numbers are written into the heading text ("3.1 Scope"), where the site shows them
  with CSS from ``data-secnum``: an export has no comment offsets to protect, and PDF bookmarks,
  DOCX and EPUB need the numbers as text;
- only the app's own images are embedded: a ``src`` must be exactly
  ``<media_url>images/<32 hex>.<ext>`` (or an import's ``images/import-<sha256>.<ext>``), judged
  on the string before any path is resolved, and, when the document lists its images
  (``ExportDocument.images``), one of the exported handbook's. Any other image (remote,
  ``file:``, ``../``, another handbook's, an export) becomes its alt text, so no renderer ever
  reaches the network or another file (WeasyPrint gets a fetcher that serves exactly the
  images chosen and nothing else; pandoc gets them inlined and runs with ``--sandbox``).

PDF is WeasyPrint with ``templates/chapters/export/print.css``; DOCX and EPUB are pandoc
(pypandoc-binary) reading that HTML, with the footnotes rewritten into the markup pandoc reads
back as real notes.
"""

from __future__ import annotations

import base64
import datetime
import html
import json
import mimetypes
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from chapters.rendering import outline, render_markdown, slugify

EXPORT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "chapters" / "export"


class ExportError(Exception):
    """An export could not be produced; the message says why."""


@dataclass(frozen=True)
class ExportChapter:
    number: int  # chapter number, 1-based
    title: str
    body: str  # Markdown source of that chapter version
    version: int
    html: str  # render_markdown(body, number=number): sanitised, headings carry data-secnum


@dataclass(frozen=True)
class ExportDocument:
    title: str  # handbook title
    label: str  # edition label, "1.0", or "Draft"
    date: datetime.date
    organisations: list[str]  # issuing organisations
    distribution_marking: str  # "LIMITED DISTRIBUTION", or ""
    language: str  # "en"
    chapters: list[ExportChapter]
    draft: bool = False  # watermarked "DRAFT <date>", chapter versions listed on the cover
    release_notes: str = ""
    identifier: str = ""  # EPUB dc:identifier; derived from title and label when empty
    # The image file names ("<hex>.png") that belong to the exported handbook: only these are
    # embedded. None: any well-formed image name under the media root (for callers without one).
    images: frozenset[str] | None = None


# The one form of image URL an export embeds (after the media URL); anything else is refused
# on the string itself, before any path is built from it.
_IMAGE_NAME = re.compile(r"images/((?:[0-9a-f]{32}|import-[0-9a-f]{64})\.(?:png|jpg|gif|webp))")


@dataclass(frozen=True)
class _Media:
    """Where ``/media/images/...`` URLs live on disk; no root means no images."""

    root: Path | None = None
    url: str = "/media/"
    allowed: frozenset[str] | None = None  # file names of the handbook's images

    def file(self, src: str) -> Path | None:
        """The local image file ``src`` names, or None: anything but exactly one of the app's
        image URLs (and, if the handbook's images are known, one of them) is refused."""
        if self.root is None or not src.startswith(self.url):
            return None
        match = _IMAGE_NAME.fullmatch(src.removeprefix(self.url))
        if match is None:
            return None
        name = match[1]
        if self.allowed is not None and name not in self.allowed:
            return None
        images = (self.root / "images").resolve()
        candidate = images / name
        if candidate.is_symlink() or not candidate.resolve().is_relative_to(images):
            return None
        return candidate if candidate.is_file() else None


class Exporter(Protocol):
    def __call__(
        self, doc: ExportDocument, *, media_root: Path | None = ..., media_url: str = ...
    ) -> bytes: ...


# --- Shared checks ----------------------------------------------------------------------------


def _validate(doc: ExportDocument) -> None:
    if not isinstance(doc, ExportDocument):
        raise ExportError(f"expected an ExportDocument, got {type(doc).__name__}")
    if not doc.title.strip():
        raise ExportError("the handbook has no title")
    if not doc.chapters:
        raise ExportError("the handbook has no chapters to export")
    seen: set[int] = set()
    for chapter in doc.chapters:
        if not isinstance(chapter, ExportChapter):
            raise ExportError(f"expected an ExportChapter, got {type(chapter).__name__}")
        if chapter.number < 1 or chapter.number in seen:
            raise ExportError(f"chapter number {chapter.number} is not positive and unique")
        if not chapter.title.strip():
            raise ExportError(f"chapter {chapter.number} has no title")
        seen.add(chapter.number)


def _check_zip(data: bytes, required: tuple[str, ...], what: str) -> bytes:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
            if archive.testzip() is not None:
                raise ExportError(f"the {what} archive is corrupt")
    except zipfile.BadZipFile as error:
        raise ExportError(f"the {what} is not a valid archive: {error}") from error
    missing = [name for name in required if name not in names]
    if missing:
        raise ExportError(f"the {what} lacks {', '.join(missing)}")
    return data


def _ordered(doc: ExportDocument) -> list[ExportChapter]:
    return sorted(doc.chapters, key=lambda chapter: chapter.number)


def _identifier(doc: ExportDocument) -> str:
    return doc.identifier or f"urn:handbook-review:{slugify(doc.title)}:{slugify(doc.label)}"


def _draft_mark(doc: ExportDocument) -> str:
    return f"DRAFT {doc.date.isoformat()}"


# --- Rewriting rendered chapter HTML ----------------------------------------------------------

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
        '<section class="release-notes"><p class="release-notes-title"><strong>Release notes'
        f"</strong></p>\n{notes}</section>"
    )


def _cover(doc: ExportDocument, chapters: list[ExportChapter]) -> str:
    parts = ['<header class="cover">']
    if doc.distribution_marking:
        parts.append(f'<p class="marking">{_esc(doc.distribution_marking)}</p>')
    parts.append(f'<p class="cover-title">{_esc(doc.title)}</p>')
    parts.append(f'<p class="edition">Edition {_esc(doc.label)}</p>')
    long_date = f"{doc.date.day} {doc.date:%B %Y}"  # "1 March 2026", as printed covers say
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
        '<table class="versions"><thead><tr><th>Chapter</th><th>Title</th><th>Version</th>'
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
    return f'<nav class="toc"><h1 class="toc-title">Contents</h1><ol>{"".join(items)}</ol></nav>'


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


def _media(doc: ExportDocument, media_root: Path | None, media_url: str) -> _Media:
    return _Media(
        root=Path(media_root) if media_root is not None else None,
        url=media_url,
        allowed=doc.images,
    )


# --- PDF --------------------------------------------------------------------------------------


def _local_fetcher(allowed: set[Path]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):  # type: ignore[misc]
        """Serves exactly the images the document embeds and nothing else: exports never go
        online, nor read any other file."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                path = Path(unquote(parts.path))
                if path in allowed and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes())
            raise ValueError(f"exports fetch no external resources: {url[:80]}")

    return LocalFetcher()


def _pdf_source(
    doc: ExportDocument, *, media_root: Path | None, media_url: str
) -> tuple[str, set[Path]]:
    _validate(doc)
    media = _media(doc, media_root, media_url)
    embedded: set[Path] = set()

    def resolve(src: str) -> str | None:
        path = media.file(src)
        if path is None:
            return None
        embedded.add(path)
        return path.as_uri()

    css = _read_css("print.css")
    if doc.distribution_marking:
        marking = _css_string(doc.distribution_marking)
        css += (
            f"\n@page {{ @top-right {{ content: {marking}; }} "
            f"@bottom-left {{ content: {marking}; }} }}\n"
        )
    source = _document(doc, head=f"<style>\n{css}\n</style>", resolve_image=resolve)
    return _page_footnotes(source), embedded


def pdf_html(
    doc: ExportDocument, *, media_root: Path | None = None, media_url: str = "/media/"
) -> str:
    """The HTML document that ``to_pdf`` renders (useful to inspect the print layout)."""
    return _pdf_source(doc, media_root=media_root, media_url=media_url)[0]


_NOTES = re.compile(
    r'(?:<hr class="footnotes-sep">\s*)?<section class="footnotes">\s*<ol class="footnotes-list">'
    r"(?P<items>.*?)</ol>\s*</section>",
    re.DOTALL,
)
_NOTE = re.compile(r'<li id="(?P<id>[^"]+)" class="footnote-item">(?P<body>.*?)</li>', re.DOTALL)
_BACKREF = re.compile(r'\s*<a href="#[^"]*" class="footnote-backref">[^<]*</a>')
_CALL = re.compile(
    r'<sup class="footnote-ref"><a href="#(?P<id>[^"]+)" id="[^"]*">\[[^\]<]*\]</a></sup>'
)


def _page_footnotes(document: str) -> str:
    """Footnotes at the foot of the page where they are called (CSS ``float: footnote``), as
    printed books have them, instead of a list at the end of each chapter.

    A chapter's notes are moved only if each is called exactly once (the usual case); otherwise
    they stay as the chapter's endnotes, which is never wrong.
    """
    calls: dict[str, int] = {}
    for call in _CALL.finditer(document):
        calls[call["id"]] = calls.get(call["id"], 0) + 1
    notes: dict[str, str] = {}

    def lift(section: re.Match[str]) -> str:
        found = {m["id"]: m["body"] for m in _NOTE.finditer(section["items"])}
        if not found or any(calls.get(note_id) != 1 for note_id in found):
            return section[0]
        for note_id, body in found.items():
            body = _BACKREF.sub("", body).strip()
            body = re.sub(r"</p>\s*<p>", "<br>", body)
            notes[note_id] = body.removeprefix("<p>").removesuffix("</p>").strip()
        return ""

    document = _NOTES.sub(lift, document)
    return _CALL.sub(
        lambda call: (
            f'<span class="footnote">{notes[call["id"]]}</span>' if call["id"] in notes else call[0]
        ),
        document,
    )


def to_pdf(
    doc: ExportDocument, *, media_root: Path | None = None, media_url: str = "/media/"
) -> bytes:
    """A4 PDF: cover, contents with page numbers, numbered chapters, bookmarks, embedded fonts."""
    source, embedded = _pdf_source(doc, media_root=media_root, media_url=media_url)
    try:
        from weasyprint import HTML

        document = HTML(
            string=source, base_url="file:///nonexistent/", url_fetcher=_local_fetcher(embedded)
        )
        data = document.write_pdf()
    except Exception as error:
        raise ExportError(f"PDF rendering failed: {error}") from error
    if not isinstance(data, bytes) or not data.startswith(b"%PDF-") or b"%%EOF" not in data[-64:]:
        raise ExportError("PDF rendering produced no valid PDF")
    return data


# --- HTML -------------------------------------------------------------------------------------


def to_html(
    doc: ExportDocument, *, media_root: Path | None = None, media_url: str = "/media/"
) -> bytes:
    """One self-contained HTML file: styles inlined, images as data: URIs, no external link."""
    _validate(doc)
    media = _media(doc, media_root, media_url)

    def resolve(src: str) -> str | None:
        path = media.file(src)
        return _data_uri(path) if path is not None else None

    css = _read_css("html.css")
    return _document(doc, head=f"<style>\n{css}\n</style>", resolve_image=resolve).encode("utf-8")


# --- DOCX and EPUB (pandoc) -------------------------------------------------------------------


def _pandoc_source(doc: ExportDocument, media: _Media) -> str:
    def resolve(src: str) -> str | None:
        # Inlined, because pandoc --sandbox reads no file but its input.
        path = media.file(src)
        return _data_uri(path) if path is not None else None

    subtitle = f"Edition {doc.label}"
    if doc.distribution_marking:
        subtitle += f" · {doc.distribution_marking}"
    if doc.draft:
        subtitle += f" · {_draft_mark(doc)}"
    meta = [
        ("subtitle", subtitle),
        ("date", doc.date.isoformat()),
        ("identifier", _identifier(doc)),
        ("publisher", ", ".join(doc.organisations)),
        *(("author", name) for name in doc.organisations),
    ]
    if doc.distribution_marking:
        meta.append(("rights", doc.distribution_marking))
    head = "\n".join(
        f'<meta name="{name}" content="{_esc(value)}">' for name, value in meta if value
    )
    return _document(doc, head=head, resolve_image=resolve, for_pandoc=True)


def _pandoc(source: str, to: str, suffix: str, extra_args: list[str]) -> bytes:
    try:
        import pypandoc

        with tempfile.TemporaryDirectory(prefix="handbook-export-") as directory:
            output = Path(directory) / f"export{suffix}"
            pypandoc.convert_text(
                source,
                to,
                format="html",
                # --sandbox: pandoc reads no file but its input and fetches nothing; its resource
                # path is the empty working folder, so nothing else is even looked for.
                extra_args=["--toc", "--toc-depth=2", f"--resource-path={directory}", *extra_args],
                outputfile=str(output),
                sandbox=True,
                cworkdir=directory,
            )
            return output.read_bytes()
    except (OSError, RuntimeError) as error:
        raise ExportError(f"pandoc could not write {to}: {error}") from error


def to_docx(
    doc: ExportDocument, *, media_root: Path | None = None, media_url: str = "/media/"
) -> bytes:
    """Word document: title block from metadata, chapters as Heading 1 "N. Title", real notes."""
    _validate(doc)
    source = _pandoc_source(doc, _media(doc, media_root, media_url))
    data = _pandoc(source, "docx", ".docx", [])
    return _check_zip(data, ("[Content_Types].xml", "word/document.xml"), "DOCX")


def to_epub(
    doc: ExportDocument, *, media_root: Path | None = None, media_url: str = "/media/"
) -> bytes:
    """EPUB 3: one file per chapter, navigation document, title/language/identifier/date."""
    _validate(doc)
    source = _pandoc_source(doc, _media(doc, media_root, media_url))
    data = _pandoc(source, "epub3", ".epub", ["--split-level=1", "--epub-title-page=true"])
    return _check_zip(data, ("mimetype", "META-INF/container.xml"), "EPUB")


# --- Markdown bundle --------------------------------------------------------------------------


def chapter_filename(chapter: ExportChapter) -> str:
    slug = slugify(chapter.title) or "chapter"
    return f"{chapter.number:02d}-{slug}.md"


# An inline Markdown image: ![alt](src "title"), with the alt text and the source in groups.
_MARKDOWN_IMAGE = re.compile(
    r"(?P<head>!\[(?P<alt>[^\]\n]*)\]\(\s*<?)(?P<src>[^)\s>]+)(?P<tail>>?"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\))"
)


# A raw HTML image in the Markdown source (the site renders it after sanitising).
_HTML_IMAGE = re.compile(r"<img\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_HTML_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def to_markdown_bundle(
    doc: ExportDocument, *, media_root: Path | None = None, media_url: str = "/media/"
) -> bytes:
    """Zip of one ``NN-slug.md`` per chapter (``# Title`` then the body) and ``metadata.json``.

    The handbook's own images travel along under ``media/``, and their references become
    relative (``media/images/x.png``), so the bundle reads on its own; any other inline image
    becomes its alt text, as in the other formats.
    """
    _validate(doc)
    chapters = _ordered(doc)
    media = _media(doc, media_root, media_url)
    images: dict[str, Path] = {}

    def bundled(match: re.Match[str]) -> str:
        src = match.group("src")
        found = media.file(src)
        if found is None:
            return match.group("alt")
        inside = f"media/images/{found.name}"
        images[inside] = found
        return f"{match.group('head')}{inside}{match.group('tail')}"

    def bundled_html(match: re.Match[str]) -> str:
        attrs = {
            name.lower(): html.unescape(a or b or c)
            for name, a, b, c in _HTML_ATTRIBUTE.findall(match["attrs"])
        }
        found = media.file(attrs.get("src", ""))
        if found is None:
            return attrs.get("alt", "")
        inside = f"media/images/{found.name}"
        images[inside] = found
        return f'<img src="{inside}" alt="{html.escape(attrs.get("alt", ""))}">'

    metadata: dict[str, Any] = {
        "title": doc.title,
        "label": doc.label,
        "date": doc.date.isoformat(),
        "organisations": list(doc.organisations),
        "distribution_marking": doc.distribution_marking,
        "language": doc.language,
        "identifier": _identifier(doc),
        "draft": doc.draft,
        "release_notes": doc.release_notes,
        "chapters": [
            {
                "number": chapter.number,
                "title": chapter.title,
                "version": chapter.version,
                "file": chapter_filename(chapter),
            }
            for chapter in chapters
        ],
    }
    buffer = BytesIO()
    try:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for chapter in chapters:
                body = _HTML_IMAGE.sub(bundled_html, _MARKDOWN_IMAGE.sub(bundled, chapter.body))
                body = body if body.endswith("\n") else body + "\n"
                archive.writestr(chapter_filename(chapter), f"# {chapter.title}\n\n{body}")
            for inside, path in sorted(images.items()):
                archive.write(path, inside)
            archive.writestr(
                "metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2) + "\n"
            )
    except (OSError, ValueError) as error:
        raise ExportError(f"cannot write the Markdown bundle: {error}") from error
    return _check_zip(buffer.getvalue(), ("metadata.json",), "Markdown bundle")


FORMATS: dict[str, tuple[Exporter, str, str]] = {
    "pdf": (to_pdf, "pdf", "application/pdf"),
    "docx": (
        to_docx,
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "epub": (to_epub, "epub", "application/epub+zip"),
    "html": (to_html, "html", "text/html; charset=utf-8"),
    "md": (to_markdown_bundle, "zip", "application/zip"),
}
