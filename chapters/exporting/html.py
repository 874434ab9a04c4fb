"""One-file HTML export: the combined document with its stylesheet inlined and images as
data: URIs."""

from __future__ import annotations

from pathlib import Path

from chapters.exporting.combined import _data_uri, _document, _read_css
from chapters.exporting.document import ExportDocument, _media, _validate


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
