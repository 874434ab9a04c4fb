"""Making every export format of an edition in one request: what is started, what is left alone."""

import datetime

import pytest
from django.urls import reverse

from chapters import exporting
from chapters.editions import publish
from chapters.models import Export, ExportFormat, ExportState
from handbook_review import clock
from tests import factories
from tests.conftest import ROLES, client_for

EVERY_FORMAT = sorted(ExportFormat.values)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def edition(handbook, editor):
    factories.chapter(handbook, by=editor, title="Legal framework", status="approved")
    return publish(
        handbook=handbook,
        label="1.0",
        date=datetime.date(2026, 11, 30),
        release_notes="",
        by=editor,
    )


def all_url(edition) -> str:
    return reverse("chapters:export_edition_all", args=[edition.handbook.slug, edition.label])


def made(edition) -> list[tuple[str, str]]:
    return sorted(edition.exports.values_list("format", "state"))


# --- Who may: the same as for making one export


@pytest.mark.parametrize(
    ("method", "expected"),
    [("get", [302, 405, 405, 405, 405]), ("post", [302, 404, 403, 302, 302])],
)
@pytest.mark.parametrize("role", ROLES)
def test_export_all_permission_matrix(request, edition, media, method, expected, role):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    response = getattr(client_for(person), method)(all_url(edition))
    assert response.status_code == expected[ROLES.index(role)]
    started = method == "post" and role in ("editor", "administrator")
    assert Export.objects.count() == (len(EVERY_FORMAT) if started else 0)


def test_an_unknown_edition_is_not_found(edition, editor, media):
    url = reverse("chapters:export_edition_all", args=[edition.handbook.slug, "9.9"])
    assert client_for(editor).post(url).status_code == 404
    assert not Export.objects.exists()


# --- What one POST does


def test_one_post_queues_every_format_once(edition, editor, media):
    client = client_for(editor)
    response = client.post(all_url(edition))
    assert response.status_code == 302
    assert response["Location"] == edition.get_absolute_url()
    assert made(edition) == [(f, ExportState.QUEUED) for f in EVERY_FORMAT]
    assert set(edition.exports.values_list("requested_by", flat=True)) == {editor.pk}
    page = client.get(response["Location"]).text
    assert (
        "Being made now: PDF, Word (DOCX), EPUB 3, Single-file HTML, Markdown bundle (zip)." in page
    )

    # Asked again: nothing more is made, and the page says why.
    client.post(all_url(edition))
    assert made(edition) == [(f, ExportState.QUEUED) for f in EVERY_FORMAT]
    assert (
        "Every format is already made or being made." in client.get(edition.get_absolute_url()).text
    )


def test_formats_made_or_being_made_are_left_alone(edition, editor, media):
    done = Export.objects.create(
        handbook=edition.handbook,
        edition=edition,
        format="html",
        state=ExportState.DONE,
        requested_by=editor,
    )
    running = Export.objects.create(
        handbook=edition.handbook,
        edition=edition,
        format="pdf",
        state=ExportState.RUNNING,
        requested_by=editor,
        started_at=clock.now(),
        heartbeat_at=clock.now(),
    )
    client = client_for(editor)
    client.post(all_url(edition))
    assert Export.objects.get(pk=done.pk).state == ExportState.DONE
    assert Export.objects.get(pk=running.pk).state == ExportState.RUNNING
    assert edition.exports.count() == len(EVERY_FORMAT)
    page = client.get(edition.get_absolute_url()).text
    assert "Being made now: Word (DOCX), EPUB 3, Markdown bundle (zip)." in page


def test_a_failed_format_is_tried_again_one_past_its_limit_is_reported(
    edition, editor, media, settings
):
    settings.EXPORT_MAX_ATTEMPTS = 3
    now = clock.now()
    common = {"handbook": edition.handbook, "edition": edition, "requested_by": editor}
    Export.objects.create(
        **common, format="docx", state=ExportState.FAILED, error="disk", attempts=1
    )
    Export.objects.create(
        **common,
        format="epub",
        state=ExportState.FAILED,
        error="epubcheck said no",
        attempts=3,
        attempts_since=now,
    )
    client = client_for(editor)
    assert client.post(all_url(edition)).status_code == 302
    assert dict(made(edition)) == {
        "docx": ExportState.QUEUED,
        "epub": ExportState.FAILED,
        "html": ExportState.QUEUED,
        "md": ExportState.QUEUED,
        "pdf": ExportState.QUEUED,
    }
    page = client.get(edition.get_absolute_url()).text
    assert "EPUB 3: This export has failed 3 times" in page
    assert "Being made now: PDF, Word (DOCX), Single-file HTML, Markdown bundle (zip)." in page


def test_every_format_is_made_when_the_queue_runs(
    edition, editor, media, monkeypatch, django_capture_on_commit_callbacks
):
    for value, (_render, extension, content_type) in list(exporting.FORMATS.items()):
        fake = (lambda data: lambda document, **options: data)(f"{value}!".encode())
        monkeypatch.setitem(exporting.FORMATS, value, (fake, extension, content_type))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(editor).post(all_url(edition))
    assert made(edition) == [(f, ExportState.DONE) for f in EVERY_FORMAT]


# --- The button


def test_the_button_is_offered_while_a_format_is_missing(edition, editor, counterpart, media):
    page = client_for(editor).get(edition.get_absolute_url()).text
    assert all_url(edition) in page
    assert "Make all formats" in page
    assert all_url(edition) not in client_for(counterpart).get(edition.get_absolute_url()).text
    for value in EVERY_FORMAT:
        Export.objects.create(
            handbook=edition.handbook,
            edition=edition,
            format=value,
            state=ExportState.DONE,
            requested_by=editor,
        )
    assert all_url(edition) not in client_for(editor).get(edition.get_absolute_url()).text
