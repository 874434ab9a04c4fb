"""Editor images: real images only (judged by content and re-encoded), size-limited, stored for
a handbook (and chapter) the uploader may edit, served only to those who may read them."""

import errno
import io

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from chapters.models import StoredImage
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes(size=(8, 8)):
    return factories.png(size)


def upload_url(chapter):
    return reverse("chapters:upload_chapter_image", args=[chapter.handbook.slug, chapter.pk])


def post_image(person, url, data, name="photo.png"):
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    return client_for(person).post(url, {"image": upload})


def uploaded_url(response):
    code = response.json()["image_code"]
    return code[code.index("(") + 1 : -1]


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_editor_uploads_a_real_image_that_readers_of_its_chapter_can_fetch(
    editor, counterpart, outsider, chapter, media
):
    response = post_image(editor, upload_url(chapter), png_bytes())
    assert response.status_code == 200
    url = uploaded_url(response)
    assert url.startswith("/media/images/") and url.endswith(".png")
    image = StoredImage.objects.get()
    assert (image.handbook, image.chapter, image.uploaded_by) == (
        chapter.handbook,
        chapter,
        editor,
    )
    assert (image.width, image.height, image.content_type) == (8, 8, "image/png")
    assert url == f"/media/{image.name}" and image.name == f"images/{image.uuid.hex}.png"

    fetched = client_for(counterpart).get(url)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content).startswith(b"\x89PNG")
    assert client_for(outsider).get(url).status_code == 404  # not their handbook
    assert client_for(None).get(url).status_code == 302


def test_an_image_uploaded_for_a_draft_is_hidden_from_counterparts(
    editor, counterpart, draft, media
):
    url = uploaded_url(post_image(editor, upload_url(draft), png_bytes()))
    assert client_for(editor).get(url).status_code == 200
    assert client_for(counterpart).get(url).status_code == 404


def test_an_image_shown_by_a_chapter_in_review_is_readable_there(
    editor, counterpart, chapter, media
):
    # Uploaded on the new-chapter page (no chapter yet), then used in a chapter in review.
    url = uploaded_url(
        post_image(
            editor, reverse("chapters:upload_image", args=[chapter.handbook.slug]), png_bytes()
        )
    )
    assert StoredImage.objects.get().chapter is None
    assert client_for(counterpart).get(url).status_code == 404
    chapter.revise(
        body=chapter.body + f"\n![map]({url})\n", by=editor, reason="map", base_version=1
    )
    assert client_for(counterpart).get(url).status_code == 200


def test_the_editor_widget_uploads_to_the_chapters_own_endpoint(editor, chapter):
    page = client_for(editor).get(
        reverse("chapters:edit_chapter", args=[chapter.handbook.slug, chapter.pk])
    )
    assert f'data-markdownx-upload-urls-path="{upload_url(chapter)}"' in page.text
    new = client_for(editor).get(reverse("chapters:add_chapter", args=[chapter.handbook.slug]))
    expected = reverse("chapters:upload_image", args=[chapter.handbook.slug])
    assert f'data-markdownx-upload-urls-path="{expected}"' in new.text


def test_uploads_for_an_unknown_handbook_or_chapter_are_refused(editor, chapter, media):
    other = factories.handbook()
    wrong_chapter = reverse("chapters:upload_chapter_image", args=[other.slug, chapter.pk])
    missing = reverse("chapters:upload_image", args=["no-such-handbook"])
    for url in (wrong_chapter, missing):
        response = post_image(editor, url, png_bytes())
        assert response.status_code == 404, url
        assert response.json()["image"]
    assert not stored_files(media)
    assert not StoredImage.objects.exists()


def test_a_script_named_like_an_image_is_refused(editor, chapter, media):
    response = post_image(editor, upload_url(chapter), b"<script>alert(1)</script>", "evil.png")
    assert response.status_code == 400
    assert "not a PNG, JPEG, GIF or WebP image" in response.json()["image"][0]
    assert not stored_files(media)


def test_an_image_over_the_size_limit_is_refused(editor, chapter, media, settings):
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 100
    response = post_image(editor, upload_url(chapter), png_bytes((64, 64)))
    assert response.status_code == 400
    assert "5 MB" in response.json()["image"][0]
    assert not stored_files(media)


def test_an_image_over_25_megapixels_is_refused_before_it_is_decoded(
    editor, chapter, media, monkeypatch
):
    data = png_bytes((12_000, 12_000))
    assert len(data) < 5 * 1024 * 1024  # one colour compresses well: only the pixels are large
    decoded = []
    real_load = ImageFile.ImageFile.load

    def load(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    response = post_image(editor, upload_url(chapter), data)
    assert response.status_code == 400
    message = response.json()["image"][0]
    assert "12000 × 12000" in message and "25 megapixels" in message
    assert decoded == []
    assert not stored_files(media)


def test_a_counterpart_cannot_upload(counterpart, chapter, media):
    assert post_image(counterpart, upload_url(chapter), png_bytes()).status_code == 403
    assert not stored_files(media)


def exif_with_gps():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[2] = (42.0, 39.0, 36.0)  # GPSLatitude
    gps[1] = "N"
    return exif


def test_exif_gps_is_stripped_and_the_orientation_applied(editor, chapter, media):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "blue").save(buffer, format="JPEG", exif=exif_with_gps())
    original = buffer.getvalue()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)  # the test image does carry GPS data
    response = post_image(editor, upload_url(chapter), original, "photo.jpg")
    assert response.status_code == 200
    stored = (media / StoredImage.objects.get().name).read_bytes()
    assert b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as after:
        assert not after.getexif()
        assert after.size == (20, 40)  # turned upright
    assert (StoredImage.objects.get().width, StoredImage.objects.get().height) == (20, 40)


def test_bytes_appended_after_the_image_are_gone(editor, chapter, media):
    payload = b"<?php system($_GET['c']); ?>SECRET-TRAILER"
    response = post_image(editor, upload_url(chapter), png_bytes() + payload)
    assert response.status_code == 200
    stored = (media / StoredImage.objects.get().name).read_bytes()
    assert stored.endswith(b"IEND\xaeB`\x82")
    assert b"SECRET-TRAILER" not in stored


def test_an_animated_gif_keeps_its_first_frame(editor, chapter, media):
    frames = [Image.new("P", (8, 8), colour) for colour in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    response = post_image(editor, upload_url(chapter), buffer.getvalue(), "anim.gif")
    assert response.status_code == 200
    with Image.open(media / StoredImage.objects.get().name) as stored:
        assert stored.format == "GIF"
        assert getattr(stored, "n_frames", 1) == 1


def test_a_full_disk_answers_a_clear_error_and_leaves_no_file(editor, chapter, media, monkeypatch):
    def full(self, name, content, max_length=None):
        # Like a real ENOSPC: the file was created, part of it written, then the disk was full.
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(b"\x89PNG partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "save", full)
    response = post_image(editor, upload_url(chapter), png_bytes())
    assert response.status_code == 507
    assert "could not be stored" in response.json()["image"][0]
    assert not stored_files(media)
    assert not StoredImage.objects.exists()


def test_media_outside_images_or_with_traversal_is_404(editor):
    client = client_for(editor)
    for path in (
        "/media/../settings.py",
        "/media/images/../../manage.py",
        "/media/other/x.png",
        "/media/images/missing.png",
        f"/media/images/{'0' * 32}.png",  # well-formed, but no such image
    ):
        assert client.get(path).status_code == 404, path
