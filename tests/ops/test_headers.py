"""Private pages are not stored by browsers or proxies; browser features are denied."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from handbook_review.ops.middleware import PrivatePagesMiddleware
from tests import factories
from tests.conftest import client_for


def chapter_url(chapter) -> str:
    return reverse("chapter", args=[chapter.handbook.slug, chapter.pk])


@pytest.mark.parametrize("who", ["editor", "counterpart"])
def test_chapter_page_is_no_store_with_permissions_policy(request, chapter, who):
    response = client_for(request.getfixturevalue(who)).get(chapter_url(chapter))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "clipboard-read"):
        assert f"{feature}=()" in policy


def test_error_pages_for_a_logged_in_user_are_no_store_too(counterpart, draft):
    response = client_for(counterpart).get(chapter_url(draft))
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_uploaded_images_keep_their_private_caching(editor, handbook, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    image = factories.stored_image(handbook)
    response = client_for(editor).get(image.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"


@pytest.mark.parametrize(
    ("own", "sent"),
    [
        ("public, max-age=600", "no-store"),
        ("max-age=600", "no-store"),  # shared caches may keep that too
        ("private, max-age=60", "private, max-age=60"),
        ("no-store, must-revalidate", "no-store, must-revalidate"),
    ],
)
def test_a_views_own_policy_is_kept_only_if_private(editor, own, sent):
    def page(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("x")
        response["Cache-Control"] = own
        return response

    request = RequestFactory().get("/")
    request.user = editor
    assert PrivatePagesMiddleware(page)(request)["Cache-Control"] == sent


def test_login_page_works_with_the_headers(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert "Permissions-Policy" in response
    assert "Content-Security-Policy" in response  # still strict: default-src 'self'
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_logging_in_works(db, editor):
    client = Client()
    response = client.post(
        reverse("login"), {"username": editor.email, "password": "pass-for-tests"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home"))["Cache-Control"] == "no-store"
