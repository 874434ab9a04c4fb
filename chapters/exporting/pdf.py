"""PDF export (WeasyPrint): the print document, footnotes moved to the foot of their page, and a
fetcher that serves only the document's own images."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chapters.exporting.combined import _css_string, _document, _read_css
from chapters.exporting.document import (
    ExportDocument,
    ExportError,
    _media,
    _speaking,
    _validate,
)
from handbook_review.translation import gettext as _


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

    css = _read_css("print.css") + _page_label(doc)
    if doc.distribution_marking:
        marking = _css_string(doc.distribution_marking)
        css += (
            f"\n@page {{ @top-right {{ content: {marking}; }} "
            f"@bottom-left {{ content: {marking}; }} }}\n"
        )
    source = _document(doc, head=f"<style>\n{css}\n</style>", resolve_image=resolve)
    return _page_footnotes(source), embedded


def _page_label(doc: ExportDocument) -> str:
    """ "Page 3 of 40" at the foot of each page, in the handbook's language."""
    with _speaking(doc):
        label = _("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\((?:page|pages)\)s)", label)
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    content = " ".join(counters.get(part) or _css_string(part) for part in parts if part)
    return f"\n@page {{ @bottom-right {{ content: {content}; }} }}\n"


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


def html_to_pdf(source: str) -> bytes:
    """Any self-contained HTML document (its styles inline, no images) to PDF, with the same
    fetcher as the handbook's PDF: nothing is fetched, neither online nor from a file. For
    reports; the fonts are the handbook's (DejaVu, which has Albanian and Cyrillic letters)."""
    try:
        from weasyprint import HTML

        data = HTML(
            string=source, base_url="file:///nonexistent/", url_fetcher=_local_fetcher(set())
        ).write_pdf()
    except Exception as error:
        raise ExportError(f"PDF rendering failed: {error}") from error
    if not isinstance(data, bytes) or not data.startswith(b"%PDF-"):
        raise ExportError("PDF rendering produced no valid PDF")
    return data
