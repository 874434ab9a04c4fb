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

Modules: ``document`` (the model, ``ExportError``, image URLs, shared checks), ``combined``
(the combined HTML document), ``pdf``, ``html``, ``pandoc`` (DOCX and EPUB) and ``markdown``
(the bundle). This package holds ``FORMATS`` and re-exports what the rest of the project uses,
so callers import ``chapters.exporting``.
"""

from __future__ import annotations

from chapters.exporting.document import ExportChapter, ExportDocument, Exporter, ExportError
from chapters.exporting.html import to_html
from chapters.exporting.markdown import chapter_filename, to_markdown_bundle
from chapters.exporting.pandoc import _pandoc as _pandoc
from chapters.exporting.pandoc import html_to_docx, to_docx, to_epub
from chapters.exporting.pdf import _local_fetcher as _local_fetcher
from chapters.exporting.pdf import _page_footnotes as _page_footnotes
from chapters.exporting.pdf import html_to_pdf, pdf_html, to_pdf

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

__all__ = [
    "FORMATS",
    "ExportChapter",
    "ExportDocument",
    "ExportError",
    "Exporter",
    "chapter_filename",
    "html_to_docx",
    "html_to_pdf",
    "pdf_html",
    "to_docx",
    "to_epub",
    "to_html",
    "to_markdown_bundle",
    "to_pdf",
]
