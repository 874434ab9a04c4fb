"""DOCX and EPUB 3 exports: pandoc (pypandoc-binary, ``--sandbox``) reading the combined HTML,
with the title block from metadata and images inlined."""

from __future__ import annotations

import tempfile
from pathlib import Path

from chapters.exporting.combined import _data_uri, _document, _esc
from chapters.exporting.document import (
    ExportDocument,
    ExportError,
    _check_zip,
    _draft_mark,
    _identifier,
    _Media,
    _media,
    _speaking,
    _validate,
)
from handbook_review.translation import gettext as _


def _pandoc_source(doc: ExportDocument, media: _Media) -> str:
    def resolve(src: str) -> str | None:
        # Inlined, because pandoc --sandbox reads no file but its input.
        path = media.file(src)
        return _data_uri(path) if path is not None else None

    with _speaking(doc):
        subtitle = _("Edition %(label)s") % {"label": doc.label}
        if doc.draft:
            draft = _draft_mark(doc)
    if doc.distribution_marking:
        subtitle += f" · {doc.distribution_marking}"
    if doc.draft:
        subtitle += f" · {draft}"
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


def html_to_docx(source: str) -> bytes:
    """Any self-contained HTML document (no images) to a Word document, for reports."""
    data = _pandoc(source, "docx", ".docx", [])
    return _check_zip(data, ("[Content_Types].xml", "word/document.xml"), "DOCX")
