"""The data migration gives every image already shown in chapter texts an owner."""

import importlib
import uuid

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chapters.models import StoredImage
from tests import factories
from tests.conftest import client_for

migration = importlib.import_module("chapters.migrations.0006_stored_images_from_chapter_texts")


def test_images_in_chapter_texts_get_rows_owned_by_their_handbook(
    settings, tmp_path, handbook, editor, counterpart, outsider
):
    settings.MEDIA_ROOT = tmp_path
    key, missing = uuid.uuid4(), uuid.uuid4()
    default_storage.save(f"images/{key.hex}.png", ContentFile(factories.png((3, 2))))
    chap = factories.chapter(
        handbook,
        by=editor,
        body=(
            f"![a](/media/images/{key.hex}.png) and ![b](/media/images/{missing.hex}.jpg)\n"
            "and ![c](/media/images/not-ours.png) ![d](https://example.com/x.png)\n"
        ),
    )
    url = f"/media/images/{key.hex}.png"
    assert client_for(counterpart).get(url).status_code == 404  # no row yet: no owner

    migration.create_rows(apps, None)
    migration.create_rows(apps, None)  # running twice changes nothing

    rows = {row.uuid: row for row in StoredImage.objects.all()}
    assert set(rows) == {key, missing}
    assert (rows[key].handbook, rows[key].chapter, rows[key].name) == (
        handbook,
        chap,
        f"images/{key.hex}.png",
    )
    assert (rows[key].width, rows[key].height, rows[key].content_type) == (3, 2, "image/png")
    assert rows[missing].width is None and rows[missing].content_type == "image/jpeg"
    assert client_for(counterpart).get(url).status_code == 200
    assert client_for(outsider).get(url).status_code == 404
