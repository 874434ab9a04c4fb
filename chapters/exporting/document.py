"""The export document model (``ExportDocument``, ``ExportChapter``, ``ExportError``), the one
image URL form an export embeds and where those images live (``_Media``), and the checks every
writer shares (the document's shape, the archive it wrote)."""

from __future__ import annotations

import datetime
import re
import zipfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Protocol

from chapters.rendering import slugify
from handbook_review.translation import gettext as _
from handbook_review.translation import override


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
    return _("DRAFT %(date)s") % {"date": doc.date.isoformat()}


def _speaking(doc: ExportDocument) -> AbstractContextManager[None]:
    """The boilerplate of an export (contents, edition, draft mark, page labels) is written in
    the handbook's language, whatever the language of the person who asked for it."""
    return override(doc.language or "en")


def _media(doc: ExportDocument, media_root: Path | None, media_url: str) -> _Media:
    return _Media(
        root=Path(media_root) if media_root is not None else None,
        url=media_url,
        allowed=doc.images,
    )
