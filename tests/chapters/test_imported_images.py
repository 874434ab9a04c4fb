"""Images inside an imported document are kept as an editor's uploads are: at most 25
megapixels, decoded and saved afresh (no metadata, nothing appended after the image)."""

import io

import pytest
from PIL import Image

from chapters.wordfile import _checked_image
from chapters.wordsplit import ImportRefused


def png(size: tuple[int, int], **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG", **save)
    return buffer.getvalue()


def test_an_imported_image_over_25_megapixels_is_refused_with_its_name():
    with pytest.raises(ImportRefused) as refused:
        _checked_image("poster.png", png((12_000, 12_000)))
    assert "poster.png" in refused.value.message
    assert "25 megapixels" in refused.value.message


def test_an_imported_image_loses_its_metadata_and_trailing_bytes():
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    original = png((20, 10), exif=exif.tobytes()) + b"APPENDED-PAYLOAD"
    kept = _checked_image("figure.png", original)
    assert b"APPENDED-PAYLOAD" not in kept.data
    assert b"secret description" not in kept.data
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (20, 10)
    assert kept.storage_name.startswith("images/import-") and kept.storage_name.endswith(".png")


def test_an_imported_file_that_is_not_an_image_is_refused():
    with pytest.raises(ImportRefused):
        _checked_image("notes.png", b"<svg onload=alert(1)>")
