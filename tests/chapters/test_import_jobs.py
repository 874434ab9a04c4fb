"""Imports as background jobs: read by a worker process, the preview kept in the database (so
any web process shows it), pandoc under limits, the upload deleted once read."""

import socket
import subprocess

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from chapters.import_jobs import sweep_imports
from chapters.models import Chapter, ImportJob, JobState
from handbook_review import clock
from handbook_review.people.models import Agency, Role
from tests import factories
from tests.chapters.test_import import word_document
from tests.conftest import client_for


def post_upload(client, handbook, name, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("chapters:import_upload", args=[handbook.slug]),
            {"file": SimpleUploadedFile(name, data)},
        )


def files_in(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_the_preview_made_by_a_worker_process_is_shown_and_applied_once(worker, media):
    editor = factories.user(Role.EDITOR, code="SEESAC", agency=Agency.OTHER, name="Sanja Editor")
    handbook = factories.handbook()
    client = client_for(editor)

    response = post_upload(client, handbook, "draft.docx", word_document())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert job.state == JobState.QUEUED and job.preview is None
    assert job.filename == "draft.docx"
    assert "draft" not in job.upload.name and job.upload.name.startswith("imports/")
    assert (media / job.upload.name).exists()
    page = client.get(job.get_absolute_url())
    assert "Reading the file draft.docx…" in page.text
    assert 'hx-trigger="every 2s"' in page.text
    poll = client.get(job.get_absolute_url() + "?poll=1", headers={"HX-Request": "true"})
    assert 'role="status"' in poll.text and "HX-Refresh" not in poll

    # Another process reads the file; nothing of it lives in this process's memory.
    assert worker("--batch").wait(timeout=120) == 0
    cache.clear()

    job.refresh_from_db()
    assert job.state == JobState.DONE and job.worker.startswith(socket.gethostname() + ":")
    assert [c["title"] for c in job.preview] == ["Правни оквир", "Kontrolli në kufi", "Сарадња"]
    assert not job.upload and not files_in(media)  # the upload is deleted once read
    poll = client.get(job.get_absolute_url() + "?poll=1", headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    preview = client.get(job.get_absolute_url())
    assert "Import preview: draft.docx" in preview.text and "Confirm import" in preview.text
    assert Chapter.objects.count() == 0

    url = reverse("chapters:import_confirm", args=[handbook.slug, job.pk])
    done = client.post(url, {"versions": preview.context["versions"]})
    assert done.status_code == 302 and done.url == handbook.get_absolute_url()
    assert handbook.chapters.count() == 3

    again = client.post(url, {"versions": preview.context["versions"]}, follow=True)
    assert "This import was already applied; nothing was imported again." in again.text
    assert handbook.chapters.count() == 3
    assert "This import was applied on" in client.get(job.get_absolute_url()).text


def test_a_confirmation_without_the_preview_versions_is_refused(editor, handbook, media):
    post_upload(client_for(editor), handbook, "draft.md", b"# One\n")
    job = ImportJob.objects.get()
    url = reverse("chapters:import_confirm", args=[handbook.slug, job.pk])
    response = client_for(editor).post(url, {"versions": "not json"})
    assert response.status_code == 400
    assert "incomplete" in response.text
    assert not handbook.chapters.exists()


def test_pandoc_that_takes_too_long_is_stopped_with_a_clear_message(
    editor, handbook, settings, media
):
    settings.IMPORT_PANDOC_TIMEOUT = 0.001
    response = post_upload(client_for(editor), handbook, "draft.docx", word_document())
    job = ImportJob.objects.get()
    assert response.url == job.get_absolute_url()
    assert job.state == JobState.FAILED
    assert job.error == (
        "This document is too large or complex to import (it needed more than 0.001 seconds). "
        "Split it into smaller files and import them one by one."
    )
    page = client_for(editor).get(job.get_absolute_url())
    assert 'role="alert"' in page.text and "too large or complex" in page.text
    assert not files_in(media)  # the upload is deleted when the job fails too
    assert not handbook.chapters.exists()


def test_pandoc_that_needs_too_much_memory_is_stopped_with_a_clear_message(
    editor, handbook, settings, media
):
    settings.IMPORT_PANDOC_MEMORY_MB = 40  # pandoc's runtime alone needs more
    post_upload(client_for(editor), handbook, "draft.docx", word_document())
    job = ImportJob.objects.get()
    assert job.state == JobState.FAILED
    assert "too large or complex to import (it needed more than 40 MB of memory)" in job.error


def test_a_document_whose_text_unpacks_too_large_is_refused_before_pandoc(
    editor, handbook, settings
):
    settings.IMPORT_MAX_DOCUMENT_XML_BYTES = 1000
    response = post_upload(client_for(editor), handbook, "draft.docx", word_document())
    assert response.status_code == 400
    assert "too large or complex to import" in response.text
    assert not ImportJob.objects.exists()


def test_an_import_whose_worker_died_is_swept_and_its_upload_deleted(editor, handbook, media):
    process = subprocess.Popen(["true"])  # noqa: S607
    process.wait()
    job = ImportJob.objects.create(
        handbook=handbook,
        uploaded_by=editor,
        filename="draft.md",
        state=JobState.RUNNING,
        worker=f"{socket.gethostname()}:{process.pid}",
        heartbeat_at=clock.now(),
    )
    job.upload.save("imports/abc.upload", ContentFile(b"# One\n"))
    assert files_in(media)

    page = client_for(editor).get(job.get_absolute_url())

    assert "The worker stopped while reading this file; upload it again." in page.text
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not job.upload
    assert not files_in(media)
    assert sweep_imports() == 0  # once


@pytest.mark.parametrize(
    ("who", "status"),
    [("editor", 200), ("other_editor", 404), ("counterpart", 403), ("outsider", 404)],
)
def test_an_import_job_is_seen_by_its_uploader_only(request, editor, handbook, media, who, status):
    post_upload(client_for(editor), handbook, "draft.md", b"# One\n")
    job = ImportJob.objects.get()
    person = request.getfixturevalue(who)
    assert client_for(person).get(job.get_absolute_url()).status_code == status
