"""Stored files are objects with owners: an image or an export is reached only through its row
and the policy of what it belongs to, never by a storage path taken from the URL.

The traversal corpus is tried against every URL that returns a stored file, as every role: the
answer is always 404 (or the login page, for anonymous visitors), never a file's bytes.
"""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import reverse

from chapters.editions import export_filename, publish
from chapters.models import Export, ExportDownload, ExportState, Status, StoredImage
from handbook_review import clock
from tests import factories
from tests.conftest import client_for

DRAFT_MARKER = b"DRAFT-HANDBOOK-MARKER-7f3a"
EDITION_MARKER = b"EDITION-EXPORT-MARKER-91c2"
LEGACY_MARKER = b"LEGACY-EXPORT-MARKER-44d0"
IMAGE_MARKER = b"IMAGE-TRAILER-MARKER-0b5e"
SETTINGS_MARKER = b"SECRET_KEY"
PASSWD_MARKER = b"root:x:0:0"
MARKERS = (DRAFT_MARKER, EDITION_MARKER, LEGACY_MARKER, IMAGE_MARKER, SETTINGS_MARKER)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_export(handbook, editor, *, edition=None, data: bytes) -> Export:
    export = Export.objects.create(
        handbook=handbook,
        edition=edition,
        format="html",
        requested_by=editor,
        state=ExportState.DONE,
        started_at=clock.now(),
    )
    export.file.save(export_filename(export, "html"), ContentFile(data), save=False)
    Export.objects.filter(pk=export.pk).update(file=export.file.name, size=len(data))
    export.refresh_from_db()
    return export


@pytest.fixture
def scene(media, handbook, editor, chapter, draft):
    """A handbook with an image in review, an image of a draft, a draft export and an edition
    export, and an export stored under the old guessable name."""
    in_review = factories.stored_image(handbook, chapter, data=factories.png() + IMAGE_MARKER)
    of_draft = factories.stored_image(handbook, draft, data=factories.png() + IMAGE_MARKER)
    draft_export = stored_export(handbook, editor, data=DRAFT_MARKER)
    legacy = "exports/2026/12/" + f"{handbook.slug}-draft-20261202-1408.html"
    default_storage.save(legacy, ContentFile(LEGACY_MARKER))
    return {
        "image": in_review,
        "draft_image": of_draft,
        "draft_export": draft_export,
        "legacy": legacy,
    }


def targets(scene) -> list[str]:
    """Storage paths worth stealing, relative to the media root."""
    return [
        scene["draft_export"].file.name,
        scene["legacy"],
        scene["draft_image"].name,
    ]


def traversal_forms(target: str) -> list[str]:
    """Ways to write '../<target>' (and friends) in a URL path."""
    exports = target
    slashed = exports.replace("/", "%2f")
    back = exports.replace("/", "%5c")
    return [
        f"../{exports}",
        f"../../{exports}",
        f"%2e%2e/{exports}",
        f"%2e%2e%2f{slashed}",
        f"%252e%252e/{exports}",
        f"%252e%252e%252f{exports.replace('/', '%252f')}",
        f"..%2f{slashed}",
        f"..%5c{back}",
        f"%2e%2e%5c{back}",
        "..\\" + exports.replace("/", "\\"),
        "images/../" + exports,
        "images/%2e%2e/" + exports,
        f"./{exports}",
        f"/{exports}",
        "/etc/passwd",
        "%2fetc%2fpasswd",
        "../../../../../../../../etc/passwd",
        "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "../../settings.py",
        "../../handbook_review/settings.py",
        f"%00../{exports}",
        f"{exports}%00.png",
        f"{'0' * 32}.png%00/../../{exports}",
        f"\u2025/{exports}",  # two dot leader
        f"\uff0e\uff0e/{exports}",  # fullwidth full stops
        f"%e2%80%a5/{exports}",
        f"%c0%ae%c0%ae/{exports}",  # overlong UTF-8 dots
        f"%c0%ae%c0%ae%c0%af{slashed}",
        f"%uff0e%uff0e/{exports}",
        "../" * 300 + exports,  # overlong path
        "a" * 5000 + ".png",
        f"file:///{exports}",
    ]


def file_urls(scene, form: str) -> list[str]:
    """Every URL that returns a stored file, with the traversal form where a name could go."""
    image_name = scene["image"].name.removeprefix("images/")
    pk = scene["draft_export"].pk
    return [
        f"/media/{form}",
        f"/media/images/{form}",
        f"/media/images/{image_name}/{form}",
        f"/media/images/{image_name}{form}",
        f"/exports/{form}/download/",
        f"/exports/{pk}/download/{form}",
        f"/exports/{pk}/{form}",
    ]


def leaked(content: bytes) -> list[bytes]:
    return [m for m in (*MARKERS, PASSWD_MARKER) if m in content]


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("role", ["counterpart", "outsider", "editor", "administrator"])
def test_no_traversal_form_reaches_a_stored_file(request, role, scene):
    client = client_for(request.getfixturevalue(role))
    tried = 0
    for target in targets(scene):
        for form in traversal_forms(target):
            for url in file_urls(scene, form):
                response = client.get(url)
                content = body(response)
                assert response.status_code == 404, (url, form, response.status_code)
                assert not leaked(content), url
                tried += 1
    assert tried > 500


def test_no_traversal_form_reaches_a_file_anonymously(scene):
    client = client_for(None)
    for target in targets(scene):
        for form in traversal_forms(target):
            for url in file_urls(scene, form):
                response = client.get(url)
                assert response.status_code in (302, 404), url
                if response.status_code == 302:
                    assert response["Location"].startswith(reverse("login")), url
                assert not leaked(body(response)), url


def test_the_same_clients_do_get_what_they_may_read(scene, counterpart, editor):
    # The control for the corpus above: the routes work, so the 404s are the policy's.
    image_url = scene["image"].url
    for person in (counterpart, editor):
        response = client_for(person).get(image_url)
        assert response.status_code == 200
        assert body(response).endswith(IMAGE_MARKER)
    download = reverse("chapters:export_download", args=[scene["draft_export"].pk])
    assert body(client_for(editor).get(download)) == DRAFT_MARKER


@pytest.mark.parametrize(
    ("role", "image", "draft_image"),
    [
        ("anonymous", 302, 302),
        ("counterpart", 200, 404),  # drafts are for editors: their images too
        ("bosnian", 200, 404),
        ("outsider", 404, 404),  # not their handbook
        ("editor", 200, 200),
        ("administrator", 200, 200),
    ],
)
def test_image_permissions(request, scene, role, image, draft_image):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(person)
    assert client.get(scene["image"].url).status_code == image
    assert client.get(scene["draft_image"].url).status_code == draft_image


def test_an_image_of_another_handbook_is_not_served_through_a_shared_chapter(
    scene, handbook, editor, counterpart, chapter
):
    # The counterpart reads `handbook`; an image of a draft there, quoted in a chapter of a
    # handbook they do not take part in, stays hidden.
    elsewhere = factories.handbook(codes=("RS",))
    foreign = factories.stored_image(elsewhere)
    chapter.revise(
        body=chapter.body + f"\n![x]({foreign.url})\n", by=editor, reason="x", base_version=1
    )
    assert client_for(counterpart).get(foreign.url).status_code == 404


def test_the_file_opened_is_the_rows_not_the_urls(scene, editor, media):
    # A row naming another file than its URL says is found by neither: uuid and name must agree.
    image = scene["image"]
    StoredImage.objects.filter(pk=image.pk).update(name=scene["draft_export"].file.name)
    response = client_for(editor).get(image.url)
    assert response.status_code == 404
    assert DRAFT_MARKER not in body(response)


def test_an_image_row_without_its_file_is_404(scene, editor, media):
    (media / scene["image"].name).unlink()
    assert client_for(editor).get(scene["image"].url).status_code == 404


def test_media_answers_only_get(scene, editor):
    assert client_for(editor).post(scene["image"].url).status_code == 405


# --- Exports: random names, readable downloads, each download recorded


@pytest.fixture
def edition(handbook, editor):
    factories.chapter(handbook, by=editor, title="Approved", status=Status.APPROVED, in_round=False)
    return publish(
        handbook=handbook,
        label="1.0",
        date=datetime.date(2026, 11, 30),
        release_notes="",
        by=editor,
    )


def test_exports_are_stored_under_a_random_name(scene, handbook, editor):
    names = {
        stored_export(handbook, editor, data=DRAFT_MARKER).file.name,
        scene["draft_export"].file.name,
    }
    assert len(names) == 2
    for name in names:
        folder, file = name.split("/")
        assert folder == "exports"
        stem, extension = file.split(".")
        assert extension == "html" and len(stem) == 32 and int(stem, 16) >= 0
        assert handbook.slug not in name and "draft" not in name


def test_downloads_get_a_readable_name_and_are_recorded(media, handbook, editor, edition, clock):
    clock.set_to(datetime.datetime(2026, 12, 2, 14, 8, tzinfo=datetime.UTC))
    draft = stored_export(handbook, editor, data=DRAFT_MARKER)
    made = stored_export(handbook, editor, edition=edition, data=EDITION_MARKER)
    client = client_for(editor)
    first = client.get(reverse("chapters:export_download", args=[draft.pk]))
    assert first.status_code == 200
    assert first["Content-Disposition"] == (
        f'attachment; filename="{handbook.slug}-draft-20261202-1408.html"'
    )
    second = client.get(reverse("chapters:export_download", args=[made.pk]))
    assert second["Content-Disposition"] == f'attachment; filename="{handbook.slug}-1-0.html"'
    assert body(second) == EDITION_MARKER
    assert [(d.export, d.user) for d in ExportDownload.objects.order_by("pk")] == [
        (draft, editor),
        (made, editor),
    ]


def test_a_refused_download_is_not_recorded(media, handbook, editor, counterpart):
    draft = stored_export(handbook, editor, data=DRAFT_MARKER)
    response = client_for(counterpart).get(reverse("chapters:export_download", args=[draft.pk]))
    assert response.status_code == 404
    assert not ExportDownload.objects.exists()


@pytest.mark.parametrize(
    ("role", "draft_status", "edition_status"),
    [
        ("anonymous", 302, 302),
        ("counterpart", 404, 200),  # reads the edition, never a draft
        ("bosnian", 404, 200),
        ("outsider", 404, 404),
        ("editor", 200, 200),
        ("administrator", 200, 200),
    ],
)
def test_export_download_permissions(
    request, media, handbook, editor, edition, role, draft_status, edition_status
):
    draft = stored_export(handbook, editor, data=DRAFT_MARKER)
    made = stored_export(handbook, editor, edition=edition, data=EDITION_MARKER)
    person = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(person)
    for export, expected, marker in (
        (draft, draft_status, DRAFT_MARKER),
        (made, edition_status, EDITION_MARKER),
    ):
        response = client.get(reverse("chapters:export_download", args=[export.pk]))
        assert response.status_code == expected
        assert (marker in body(response)) == (expected == 200)


def test_the_download_record_is_read_only_in_the_admin(media, handbook, editor, administrator):
    draft = stored_export(handbook, editor, data=DRAFT_MARKER)
    client = client_for(editor)
    client.get(reverse("chapters:export_download", args=[draft.pk]))
    record = ExportDownload.objects.get()
    admin = site._registry[ExportDownload]
    http = RequestFactory().get("/admin/")
    http.user = administrator
    assert admin.has_view_permission(http, record)
    assert not admin.has_add_permission(http)
    assert not admin.has_change_permission(http, record)
    assert not admin.has_delete_permission(http, record)
    staff = client_for(administrator)
    listing = staff.get(reverse("admin:chapters_exportdownload_changelist"))
    assert listing.status_code == 200
    assert str(editor) in listing.text and str(draft) in listing.text
    assert staff.get(reverse("admin:chapters_exportdownload_add")).status_code == 403


def test_readers_of_an_edition_find_its_made_exports(media, handbook, editor, counterpart, edition):
    made = stored_export(handbook, editor, edition=edition, data=EDITION_MARKER)
    stored_export(handbook, editor, data=DRAFT_MARKER)  # a draft's is never listed to them
    page = client_for(counterpart).get(edition.get_absolute_url())
    assert page.status_code == 200
    download = reverse("chapters:export_download", args=[made.pk])
    assert page.text.count('href="/exports/') == 1 and f'href="{download}"' in page.text
