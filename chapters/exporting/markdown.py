"""Markdown bundle export: a zip of one ``NN-slug.md`` per chapter, ``metadata.json`` and the
handbook's own images under ``media/``."""

from __future__ import annotations

import html
import json
import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from chapters.exporting.document import (
    ExportChapter,
    ExportDocument,
    ExportError,
    _check_zip,
    _identifier,
    _media,
    _ordered,
    _validate,
)
from chapters.rendering import slugify


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
