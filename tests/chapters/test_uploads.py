"""Editor images: real images only (judged by content), size-limited, editors only."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.conftest import client_for


def png_bytes(size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_editor_uploads_a_real_image_and_logged_in_users_can_fetch_it(
    editor, counterpart, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    response = client_for(editor).post(reverse("markdownx_upload"), {"image": upload})
    assert response.status_code == 200
    code = response.json()["image_code"]
    url = code[code.index("(") + 1 : -1]
    assert url.startswith("/media/images/") and url.endswith(".png")

    fetched = client_for(counterpart).get(url)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content).startswith(b"\x89PNG")
    assert client_for(None).get(url).status_code == 302


def test_a_script_named_like_an_image_is_refused(editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png")
    response = client_for(editor).post(reverse("markdownx_upload"), {"image": fake})
    assert response.status_code == 400
    assert "not a PNG, JPEG, GIF or WebP image" in response.json()["image"][0]
    assert not list(tmp_path.rglob("*"))


def test_an_image_over_the_size_limit_is_refused(editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 100
    upload = SimpleUploadedFile("big.png", png_bytes((64, 64)), content_type="image/png")
    response = client_for(editor).post(reverse("markdownx_upload"), {"image": upload})
    assert response.status_code == 400
    assert not list(tmp_path.rglob("*"))


def test_counterpart_cannot_upload(counterpart, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    assert (
        client_for(counterpart).post(reverse("markdownx_upload"), {"image": upload}).status_code
        == 403
    )
    assert not list(tmp_path.rglob("*"))


def test_media_outside_images_or_with_traversal_is_404(editor):
    client = client_for(editor)
    for path in (
        "/media/../settings.py",
        "/media/images/../../manage.py",
        "/media/other/x.png",
        "/media/images/missing.png",
    ):
        assert client.get(path).status_code == 404, path
