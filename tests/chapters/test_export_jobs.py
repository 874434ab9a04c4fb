"""Export jobs: made once in the background, stored, served afterwards; failures reported."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from chapters import exporting
from chapters.editions import publish, request_export
from chapters.models import Export, ExportState
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST and run what the view queued on commit (the export task), as a real commit would."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


@pytest.fixture
def calls(monkeypatch):
    """Replace the HTML renderer with a fast fake that records what it was given."""
    made: list[exporting.ExportDocument] = []

    def fake(document: exporting.ExportDocument, **options) -> bytes:
        made.append(document)
        return b"<html>" + document.title.encode() + b"</html>"

    monkeypatch.setitem(exporting.FORMATS, "html", (fake, "html", "text/html"))
    return made


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


def export_url(edition) -> str:
    return reverse("chapters:export_edition", args=[edition.handbook.slug, edition.label])


def test_an_edition_export_is_made_once_and_then_served(post, edition, editor, media, calls):
    client = client_for(editor)
    response = post(client, export_url(edition), {"format": "html"})
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.state == ExportState.DONE
    assert export.size == len(b"<html>" + edition.title.encode() + b"</html>")
    assert len(calls) == 1
    assert calls[0].label == "1.0" and not calls[0].draft

    # Asking again and downloading twice serve the stored file without making it again.
    post(client, export_url(edition), {"format": "html"})
    for _ in range(2):
        download = client.get(reverse("chapters:export_download", args=[export.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content).startswith(b"<html>")
        assert "attachment" in download["Content-Disposition"]
        assert "1-0.html" in download["Content-Disposition"]
    assert len(calls) == 1
    assert Export.objects.count() == 1


def test_a_failed_export_is_reported_and_leaves_no_file(post, edition, editor, media, monkeypatch):
    def broken(document, **options):
        raise exporting.ExportError("pandoc said no")

    monkeypatch.setitem(exporting.FORMATS, "docx", (broken, "docx", "application/x-test"))
    client = client_for(editor)
    post(client, export_url(edition), {"format": "docx"})
    export = Export.objects.get()
    assert export.state == ExportState.FAILED
    assert "pandoc said no" in export.error
    assert not export.file
    assert not list(media.rglob("*.docx"))
    page = client.get(edition.get_absolute_url())
    assert "Failed: pandoc said no" in page.text
    assert client.get(reverse("chapters:export_download", args=[export.pk])).status_code == 404
    # Trying again queues it anew.
    monkeypatch.setitem(exporting.FORMATS, "docx", (lambda d, **o: b"PK..", "docx", "x/y"))
    post(client, export_url(edition), {"format": "docx"})
    assert Export.objects.get().state == ExportState.DONE


def test_the_status_fragment_polls_while_queued(edition, editor, media, calls, settings):
    # With the database queue no worker runs inside the test: the export stays queued.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    export, queued = request_export(
        handbook=edition.handbook, edition=edition, format="html", by=editor
    )
    assert queued
    fragment = client_for(editor).get(reverse("chapters:export_status", args=[export.pk]))
    assert fragment.status_code == 200
    assert 'hx-trigger="every 2s"' in fragment.text
    assert "Queued" in fragment.text
    assert calls == []


def test_a_draft_export_records_the_chapter_versions(post, handbook, editor, chapter, media, calls):
    chapter.revise(body="Second version.\n", by=editor, reason="x", base_version=1)
    response = post(
        client_for(editor),
        reverse("chapters:draft_exports", args=[handbook.slug]),
        {"format": "html"},
    )
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.edition is None
    assert export.versions == {str(chapter.pk): 2}
    assert calls[0].draft
    assert calls[0].chapters[0].version == 2
    assert "Second version." in calls[0].chapters[0].body


def test_an_unknown_format_is_refused(post, edition, editor, media):
    response = post(client_for(editor), export_url(edition), {"format": "exe"})
    assert response.status_code == 400
    assert not Export.objects.exists()
    draft = post(
        client_for(editor),
        reverse("chapters:draft_exports", args=[edition.handbook.slug]),
        {"format": "exe"},
    )
    assert draft.status_code == 400
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("editor", 302), ("administrator", 302), ("counterpart", 403), ("outsider", 404)],
)
def test_export_permissions(post, request, edition, media, calls, who, expected):
    client = client_for(request.getfixturevalue(who))
    assert post(client, export_url(edition), {"format": "html"}).status_code == expected
    drafts = reverse("chapters:draft_exports", args=[edition.handbook.slug])
    assert client.get(drafts).status_code == (200 if expected == 302 else expected)


@pytest.mark.parametrize(("who", "expected"), [("counterpart", 200), ("outsider", 404)])
def test_readers_of_an_edition_download_its_exports_but_only_editors_follow_the_job(
    post, request, edition, editor, media, calls, who, expected
):
    # An edition's exports are for whoever may read the edition; the job page is for editors.
    post(client_for(editor), export_url(edition), {"format": "html"})
    export = Export.objects.get()
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("chapters:export_download", args=[export.pk])).status_code == expected
    status = 403 if expected == 200 else expected
    assert client.get(reverse("chapters:export_status", args=[export.pk])).status_code == status


@pytest.mark.parametrize("who", ["counterpart", "outsider"])
def test_only_editors_download_draft_exports(post, request, edition, editor, media, calls, who):
    drafts = reverse("chapters:draft_exports", args=[edition.handbook.slug])
    post(client_for(editor), drafts, {"format": "html"})
    export = Export.objects.get(edition=None)
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("chapters:export_download", args=[export.pk])).status_code == 404


def test_the_command_exports_an_edition_and_the_draft(edition, tmp_path, calls):
    target = tmp_path / "out.html"
    call_command(
        "export_handbook",
        edition.handbook.slug,
        "--edition",
        "1.0",
        "--format",
        "html",
        "--output",
        str(target),
    )
    assert target.read_bytes().startswith(b"<html>")
    draft = tmp_path / "draft.html"
    call_command(
        "export_handbook",
        edition.handbook.slug,
        "--draft",
        "--format",
        "html",
        "--output",
        str(draft),
    )
    assert calls[-1].draft
    assert draft.exists()


def test_every_format_is_made_from_a_known_edition(post, handbook, editor, media):
    """The real engines, through the job: each file reads back with every title, in order."""
    import io
    import zipfile

    import docx
    import pypdf

    factories.chapter(
        handbook,
        by=editor,
        title="Правни оквир",
        body="Сваки пиштољ мора бити означен.\n\n## Обележавање\n\nСеријски број.\n",
        status="approved",
    )
    factories.chapter(
        handbook,
        by=editor,
        title="Kontrolli kufitar",
        body="Çdo armë kontrollohet në kufi.\n",
        status="approved",
    )
    day = datetime.date(2026, 11, 30)
    edition = publish(handbook=handbook, label="1.0", date=day, release_notes="", by=editor)
    client = client_for(editor)
    texts = {}
    for fmt in ("pdf", "docx", "epub", "html", "md"):
        post(client, export_url(edition), {"format": fmt})
        export = Export.objects.get(edition=edition, format=fmt)
        assert export.state == ExportState.DONE, export.error
        response = client.get(reverse("chapters:export_download", args=[export.pk]))
        data = b"".join(response.streaming_content)
        if fmt == "pdf":
            pages = pypdf.PdfReader(io.BytesIO(data)).pages
            texts[fmt] = "\n".join(page.extract_text() for page in pages)
        elif fmt == "docx":
            texts[fmt] = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        elif fmt in ("epub", "md"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = sorted(n for n in archive.namelist() if n.endswith((".xhtml", ".md")))
                texts[fmt] = "\n".join(archive.read(n).decode() for n in names)
        else:
            texts[fmt] = data.decode()
    for fmt, text in texts.items():
        # Each title, then its chapter's sentence, in order (searching on from the last find).
        at = 0
        for needle in (
            "Правни оквир",
            "Сваки пиштољ мора бити означен.",
            "Kontrolli kufitar",
            "Çdo armë kontrollohet në kufi.",
        ):
            found = text.find(needle, at)
            assert found != -1, (fmt, needle)
            at = found + len(needle)


def test_stored_exports_are_not_served_as_media(post, edition, editor, counterpart, media, calls):
    post(client_for(editor), export_url(edition), {"format": "html"})
    stored = Export.objects.get().file.name
    assert stored.startswith("exports/")
    for person in (editor, counterpart):
        response = client_for(person).get(f"/media/{stored}")
        assert response.status_code == 404
