"""Rows for the images that chapter texts already show (/media/images/<hex>.<ext>), each owned
by the handbook of the first chapter (or edition, or old version) that shows it."""

import re
import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db import migrations

IMAGE_URL_IN_TEXT = re.compile(
    r"/media/images/((?:[0-9a-f]{32}|import-[0-9a-f]{64})\.(png|jpg|gif|webp))(?![\w.-])"
)
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def _measure(name: str) -> tuple[int | None, int | None, int | None]:
    from PIL import Image

    try:
        size = default_storage.size(name)
        with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
            width, height = image.size  # the header only: nothing is decoded
    except Exception:  # missing or unreadable: the row is still owned, only unmeasured
        return None, None, None
    return width, height, size


def create_rows(apps: Any, schema_editor: Any) -> None:
    Chapter = apps.get_model("chapters", "Chapter")
    HistoricalChapter = apps.get_model("chapters", "HistoricalChapter")
    EditionChapter = apps.get_model("chapters", "EditionChapter")
    StoredImage = apps.get_model("chapters", "StoredImage")
    owners: dict[str, tuple[int, int | None, str]] = {}
    sources = [
        ((c.handbook_id, c.pk, c.body) for c in Chapter.objects.order_by("pk")),
        (
            (c.edition.handbook_id, c.chapter_id, c.body)
            for c in EditionChapter.objects.select_related("edition").order_by("pk")
        ),
        (
            (h.handbook_id, h.id, h.body)
            for h in HistoricalChapter.objects.order_by("history_id")
            if Chapter.objects.filter(pk=h.id).exists()
        ),
    ]
    for rows in sources:
        for handbook_id, chapter_id, body in rows:
            for match in IMAGE_URL_IN_TEXT.finditer(body or ""):
                owners.setdefault(match[1], (handbook_id, chapter_id, match[2]))
    for filename, (handbook_id, chapter_id, extension) in owners.items():
        name = f"images/{filename}"
        key = uuid.UUID(hex=filename.removeprefix("import-")[:32])
        if StoredImage.objects.filter(uuid=key).exists():
            continue
        width, height, size = _measure(name)
        StoredImage.objects.create(
            uuid=key,
            handbook_id=handbook_id,
            chapter_id=chapter_id,
            name=name,
            content_type=CONTENT_TYPES[extension],
            width=width,
            height=height,
            size=size,
        )


class Migration(migrations.Migration):
    dependencies = [("chapters", "0005_stored_images_export_downloads")]

    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop)]
