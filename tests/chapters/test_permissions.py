"""Permission matrix: every view of the chapters app by every role → the expected status code.

Anonymous users are sent to the login page (302), people who may not see a thing get 404, and
people who may see it but not change it get 403.
"""

import pytest
from django.urls import reverse

from tests.conftest import ROLES, client_for


def person(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def url_for(name, chapter, **extra):
    if name == "home":
        return reverse("home")
    if name == "handbook":
        return chapter.handbook.get_absolute_url()
    if name == "add_chapter":
        return reverse(f"chapters:{name}", args=[chapter.handbook.slug])
    if name == "version":
        return reverse("version", args=[chapter.handbook.slug, chapter.pk, 1])
    if name == "restore":
        return reverse("chapters:restore", args=[chapter.handbook.slug, chapter.pk, 1])
    if name == "chapter":
        return chapter.get_absolute_url()
    return reverse(f"chapters:{name}", args=[chapter.handbook.slug, chapter.pk])


# (view, method, data) -> status per role, in the order of ROLES.
MATRIX = [
    ("home", "get", None, [302, 200, 200, 200, 200]),
    ("handbook", "get", None, [302, 404, 200, 200, 200]),
    ("chapter", "get", None, [302, 404, 200, 200, 200]),
    ("history", "get", None, [302, 404, 200, 200, 200]),
    ("version", "get", None, [302, 404, 200, 200, 200]),
    ("compare", "get", None, [302, 404, 200, 200, 200]),
    ("add_chapter", "get", None, [302, 404, 403, 200, 200]),
    (
        "add_chapter",
        "post",
        {"number": 9, "title": "New", "body": "Text"},
        [302, 404, 403, 302, 302],
    ),
    ("edit_chapter", "get", None, [302, 404, 403, 200, 200]),
    (
        "edit_chapter",
        "post",
        {"title": "T", "body": "New text", "reason": "Why", "base_version": 1},
        [302, 404, 403, 302, 302],
    ),
    ("move_chapter", "post", {"direction": "down"}, [302, 404, 403, 302, 302]),
    ("restore", "post", {"base_version": 2}, [302, 404, 403, 302, 302]),
]


@pytest.mark.parametrize(
    ("view", "method", "data", "expected"), MATRIX, ids=[f"{m[0]}-{m[1]}" for m in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_chapter_views_permission_matrix(
    request, chapter, editor, view, method, data, expected, role
):
    if view == "restore":
        # Something to restore: version 1 of a chapter now at version 2.
        chapter.revise(body="Changed.", by=editor, reason="r", base_version=1)
    client = client_for(person(request, role))
    response = getattr(client, method)(url_for(view, chapter), data or {})
    assert response.status_code == expected[ROLES.index(role)]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
def test_draft_chapter_is_hidden_from_all_but_editors(request, draft, role):
    client = client_for(person(request, role))
    expected = {
        "anonymous": 302,
        "outsider": 404,
        "counterpart": 404,
        "editor": 200,
        "administrator": 200,
    }
    for name in ("chapter", "history", "compare"):
        assert client.get(url_for(name, draft)).status_code == expected[role], name


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("counterpart", 403), ("editor", 200), ("administrator", 200)],
)
def test_markdown_preview_is_for_editors(request, role, expected):
    client = client_for(person(request, role))
    response = client.post(reverse("markdownx_markdownify"), {"content": "**bold**"})
    assert response.status_code == expected
    if expected == 200:
        assert b"<strong>bold</strong>" in response.content


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("counterpart", 403), ("editor", 400), ("administrator", 400)],
)
def test_image_upload_is_for_editors(request, handbook, role, expected):
    # With no file at all: editors get the "choose an image" 400, others never get that far.
    client = client_for(person(request, role))
    url = reverse("chapters:upload_image", args=[handbook.slug])
    assert client.post(url).status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("counterpart", 302), ("editor", 302), ("administrator", 200)],
)
def test_admin_is_for_administrators(request, db, role, expected):
    # Non-staff users are sent to the admin login page; administrators are staff.
    client = client_for(person(request, role))
    assert client.get(reverse("admin:index")).status_code == expected


def test_login_page_is_the_only_public_page(client, db):
    assert client.get(reverse("login")).status_code == 200
    for url in ("/", "/h/x/", f"/media/images/{'0' * 32}.png", "/markdownx/markdownify/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    # The admin has its own login page.
    assert client.get("/admin/")["Location"].startswith(reverse("admin:login"))
