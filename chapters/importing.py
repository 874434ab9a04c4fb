"""Import a Word (.docx) or Markdown draft into a handbook: one chapter per top-level heading.

Three steps, so that an editor sees what will happen before anything is written:

- ``read_upload`` (chapters.wordfile) checks the file (by content, not by name), converts Word
  to Markdown with pandoc and splits the text into chapters (chapters.wordsplit, pure). It
  writes nothing outside a temporary directory.
- ``plan_import`` (here) matches the chapters to the handbook's by title: new, replaces or
  unchanged.
- ``apply_import`` (here) stores the images and creates or revises the chapters in one
  transaction.

This module is the part that reads and writes the database: the plan, the apply, and the
preview as JSON that waits in an ImportJob until the editor confirms it.

Decisions, so that nothing is guessed silently:

- Chapters are split at the highest heading level the document uses (``#``, or ``##`` when there
  is no ``#``). Text before the first such heading is refused, not dropped and not glued onto
  the first chapter: it is usually a title page or a table of contents, and the editor should
  decide where it belongs.
- Imported chapters match existing ones by title only (case, spacing and a leading "3." or
  "Chapter 3:" ignored), never by position: a renumbered draft must not overwrite the wrong
  chapter. Unmatched chapters are appended in document order.
- Raw HTML does not survive: HTML blocks are removed (the preview says how many) and inline
  tags are escaped so they show as text. Rendering sanitises everything anyway; this keeps the
  Markdown, which is the source of truth, free of markup no editor can see in Word.
- Images are stored under a name derived from their content, so importing the same file again
  gives the same text and creates no new version. Their size is the one chapters.images
  measured when it re-encoded them.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chapters import rendering
from chapters.images import reencode_image
from chapters.models import (
    IMAGE_EXTENSIONS,
    Chapter,
    Handbook,
    NothingChanged,
    StoredImage,
    image_key,
    normalise_newlines,
)
from chapters.wordsplit import ImportedChapter, ImportedImage, ImportRefused, normalise_title

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handbook_review.people.models import User


class Action(models.TextChoices):
    NEW = "new", gettext_lazy("New chapter")
    REPLACE = "replace", gettext_lazy("Replaces the chapter")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")


@dataclass(frozen=True)
class PlannedChapter:
    imported: ImportedChapter
    action: Action
    number: int
    chapter: Chapter | None  # the chapter it replaces (or leaves unchanged); None when new
    words: int


@dataclass(frozen=True)
class ImportResult:
    created: list[Chapter]
    revised: list[Chapter]
    unchanged: list[Chapter]


# --- The preview, as it waits in the database ------------------------------------------------


def chapters_to_json(chapters: list[ImportedChapter]) -> list[dict[str, Any]]:
    """The chapters as JSON (images base64), to wait in the database until confirmed."""
    return [
        {
            "title": c.title,
            "body": c.body,
            "notes": list(c.notes),
            "images": [
                {
                    "name": i.name,
                    "storage_name": i.storage_name,
                    "data": base64.b64encode(i.data).decode("ascii"),
                    "width": i.width,
                    "height": i.height,
                }
                for i in c.images
            ],
        }
        for c in chapters
    ]


def chapters_from_json(data: list[dict[str, Any]]) -> list[ImportedChapter]:
    return [
        ImportedChapter(
            title=c["title"],
            body=c["body"],
            notes=tuple(c["notes"]),
            images=[_image_from_json(i) for i in c["images"]],
        )
        for c in data
    ]


def _image_from_json(item: dict[str, Any]) -> ImportedImage:
    data = base64.b64decode(item["data"])
    if "width" in item and "height" in item:
        width, height = item["width"], item["height"]
    else:  # a preview kept before the sizes were: measured by the one image check
        _data, _kind, width, height = reencode_image(io.BytesIO(data))
    return ImportedImage(
        name=item["name"],
        storage_name=item["storage_name"],
        data=data,
        width=width,
        height=height,
    )


# --- Planning and applying --------------------------------------------------------------------


def word_count(markdown: str) -> int:
    """Words as the reader sees them (markup and URLs do not count)."""
    return len(re.findall(r"\w+", rendering.plain_text(rendering.render_markdown(markdown))))


def plan_import(handbook: Handbook, chapters: list[ImportedChapter]) -> list[PlannedChapter]:
    """What importing would do to each chapter: create it, replace one by title, or nothing."""
    existing: dict[str, Chapter] = {}
    for chapter in handbook.chapters.order_by("number"):
        existing.setdefault(normalise_title(chapter.title), chapter)
    next_number = handbook.next_chapter_number()
    planned: list[PlannedChapter] = []
    for imported in chapters:
        match = existing.get(normalise_title(imported.title))
        if match is None:
            action, number = Action.NEW, next_number
            next_number += 1
        else:
            unchanged = (
                normalise_newlines(imported.body) == match.body and imported.title == match.title
            )
            action = Action.UNCHANGED if unchanged else Action.REPLACE
            number = match.number
        planned.append(
            PlannedChapter(
                imported=imported,
                action=action,
                number=number,
                chapter=match,
                words=word_count(imported.body),
            )
        )
    return planned


def _store_images(
    images: list[ImportedImage], *, handbook: Handbook, chapter: Chapter, by: User
) -> None:
    for image in images:
        # Content-addressed: an image already stored is the same image.
        if not default_storage.exists(image.storage_name):
            default_storage.save(image.storage_name, ContentFile(image.data))
        filename = image.storage_name.removeprefix("images/")
        # The first handbook to import an image owns it (see chapters.policies.images.can_see).
        StoredImage.objects.get_or_create(
            uuid=image_key(filename),
            defaults={
                "handbook": handbook,
                "chapter": chapter,
                "name": image.storage_name,
                "content_type": IMAGE_EXTENSIONS[filename.rsplit(".", 1)[-1]],
                "width": image.width,
                "height": image.height,
                "size": len(image.data),
                "uploaded_by": by,
            },
        )


def apply_import(
    handbook: Handbook,
    chapters: list[ImportedChapter],
    *,
    by: User,
    filename: str,
    seen_versions: Mapping[int, int] | None = None,
) -> ImportResult:
    """Create and revise the handbook's chapters from an import, all or nothing.

    Existing chapters change through ``Chapter.revise`` (reason "Imported from <file>"), so
    every change is a recorded version and comments re-anchor; unchanged chapters get no new
    version, so importing the same file twice changes nothing the second time.

    ``seen_versions`` (chapter id -> version) is what the editor's preview showed; if a matched
    chapter has moved on since, or the preview did not know it, ImportRefused is raised and
    nothing is written, so the import never overwrites an edit nobody has seen.
    """
    with transaction.atomic():
        # One import at a time per handbook: new chapter numbers are taken from the maximum.
        Handbook.objects.select_for_update().filter(pk=handbook.pk).first()
        plan = plan_import(handbook, chapters)
        if seen_versions is not None:
            for item in plan:
                if item.chapter is not None and (
                    seen_versions.get(item.chapter.pk) != item.chapter.version
                ):
                    raise ImportRefused(
                        _(
                            "The chapter “%(title)s” changed after the preview was made. Nothing "
                            "was imported; upload the file again to see the new preview."
                        )
                        % {"title": item.chapter.title}
                    )
        created: list[Chapter] = []
        revised: list[Chapter] = []
        unchanged: list[Chapter] = []
        for item in plan:
            imported = item.imported
            if item.chapter is None:
                new = handbook.add_chapter(
                    title=imported.title, body=imported.body, by=by, number=item.number
                )
                _store_images(imported.images, handbook=handbook, chapter=new, by=by)
                created.append(new)
                continue
            if item.action == Action.UNCHANGED:
                unchanged.append(item.chapter)
                continue
            _store_images(imported.images, handbook=handbook, chapter=item.chapter, by=by)
            try:
                item.chapter.revise(
                    body=imported.body,
                    title=imported.title,
                    by=by,
                    reason=f"Imported from {filename}",
                    base_version=item.chapter.version,
                )
            except NothingChanged:
                unchanged.append(item.chapter)
            else:
                revised.append(item.chapter)
    return ImportResult(created=created, revised=revised, unchanged=unchanged)
