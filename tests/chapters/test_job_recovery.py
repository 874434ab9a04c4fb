"""Jobs that cannot get stuck: a killed worker, a dropped database connection, a full disk.

The first two start real `manage.py run_worker` processes on the test database (see
conftest.shared_db) and make a PDF of a long edition, slow enough to be interrupted.
"""

import datetime
import errno
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile, File
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from chapters import editions, exporting
from chapters.editions import ExportRefused, publish, request_export, sweep_exports
from chapters.models import Export, ExportState, Status
from handbook_review import clock
from handbook_review.people.models import Agency, Role
from handbook_review.storage import AtomicFileSystemStorage
from tests import factories
from tests.chapters.conftest import wait_for
from tests.conftest import client_for

PARAGRAPH = (
    "The border guard records the make, model, calibre and serial number of every firearm "
    "found at the crossing point, photographs its markings and seals it in an evidence bag. "
) * 4


def long_edition():
    """An editor and a published edition long enough that its PDF takes a few seconds."""
    editor = factories.user(Role.EDITOR, code="SEESAC", agency=Agency.OTHER, name="Sanja Editor")
    book = factories.handbook()
    body = "\n\n".join(f"## Section {s}\n\n" + "\n\n".join([PARAGRAPH] * 6) for s in range(1, 9))
    for n in range(1, 13):
        factories.chapter(book, by=editor, title=f"Chapter {n}", body=body, status=Status.APPROVED)
    edition = publish(
        handbook=book, label="1.0", date=datetime.date(2026, 12, 1), release_notes="", by=editor
    )
    return editor, edition


def state(export: Export) -> str:
    export.refresh_from_db()
    return export.state


def test_a_killed_worker_is_swept_and_the_export_made_again(worker, media):
    editor, edition = long_edition()
    export, queued = request_export(
        handbook=edition.handbook, edition=edition, format="pdf", by=editor
    )
    assert queued

    first = worker()
    wait_for(lambda: state(export) == ExportState.RUNNING, what="the worker to start the export")
    assert export.worker == f"{socket.gethostname()}:{first.pid}"
    first.send_signal(signal.SIGKILL)  # mid-job: no chance to clean up
    first.wait(timeout=10)
    assert state(export) == ExportState.RUNNING  # what a dead worker leaves behind

    call_command("sweep_jobs", verbosity=0)

    assert state(export) == ExportState.FAILED
    assert export.error == "The worker stopped while making this export; request it again."
    assert not list(media.rglob("*.pdf"))
    # The queue's own record of the task is not left "running" either.
    task = DBTaskResult.objects.get(task_path="chapters.editions.make_export")
    assert task.status == "FAILED" and task.worker_ids == [export.worker]
    fragment = client_for(editor).get(reverse("chapters:export_status", args=[export.pk]))
    assert "The worker stopped while making this export; request it again." in fragment.text
    assert "Try again" in fragment.text

    again, queued = request_export(
        handbook=edition.handbook, edition=edition, format="pdf", by=editor
    )
    assert queued and again.pk == export.pk and state(export) == ExportState.QUEUED
    second = worker("--batch")  # makes what is queued, then exits
    assert second.wait(timeout=180) == 0

    assert state(export) == ExportState.DONE
    assert export.attempts == 2
    stored = media / str(export.file.name)
    assert stored.read_bytes().startswith(b"%PDF")
    assert export.size == stored.stat().st_size
    assert not list(media.rglob("*.part-*"))


@pytest.mark.postgres
def test_the_worker_survives_a_dropped_database_connection(worker, media, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("dropping another process's connection needs PostgreSQL (pg_terminate_backend)")
    editor, edition = long_edition()
    export, _ = request_export(handbook=edition.handbook, edition=edition, format="pdf", by=editor)
    process = worker()
    wait_for(lambda: state(export) == ExportState.RUNNING, what="the export to start")

    def drop_worker_connections() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    assert drop_worker_connections() >= 1  # mid-job, as a failover would

    wait_for(lambda: state(export) == ExportState.DONE, timeout=180, what="the export")
    assert process.poll() is None  # still running
    assert (media / str(export.file.name)).read_bytes().startswith(b"%PDF")
    task = DBTaskResult.objects.get(task_path="chapters.editions.make_export")
    wait_for(lambda: DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL")

    # Dropped again while it waits for work: it reconnects and takes the next job.
    drop_worker_connections()
    draft, _ = request_export(handbook=edition.handbook, edition=None, format="md", by=editor)
    wait_for(lambda: state(draft) == ExportState.DONE, timeout=120, what="the draft export")
    assert process.poll() is None
    log = (tmp_path / "worker-0.log").read_text()
    assert "Database unreachable" in log  # it did meet the dropped connection, and went on


# --- Sweeping (no worker process needed)


@pytest.fixture
def running_export(editor, handbook):
    export = Export.objects.create(
        handbook=handbook, format="html", requested_by=editor, state=ExportState.RUNNING
    )

    def set_to(*, worker: str, beat_seconds_ago: float) -> Export:
        beat = clock.now() - datetime.timedelta(seconds=beat_seconds_ago)
        Export.objects.filter(pk=export.pk).update(
            worker=worker, heartbeat_at=beat, started_at=beat
        )
        return export

    return set_to


def dead_pid() -> int:
    process = subprocess.Popen(["true"])  # noqa: S607
    process.wait()
    return process.pid


@pytest.mark.parametrize(
    ("where", "beat_seconds_ago", "swept"),
    [
        ("this process", 1, False),  # alive and beating
        ("this process", 500, True),  # alive but silent past the timeout (frozen)
        ("a dead process here", 1, True),  # gone: no need to wait for the timeout
        ("another machine", 1, False),  # cannot be checked: trust the fresh heartbeat
        ("another machine", 500, True),
    ],
)
def test_the_sweep_fails_exports_whose_worker_is_gone_or_silent(
    running_export, settings, where, beat_seconds_ago, swept
):
    settings.EXPORT_HEARTBEAT_TIMEOUT = 120
    host = socket.gethostname()
    worker = {
        "this process": f"{host}:{os.getpid()}",
        "a dead process here": f"{host}:{dead_pid()}",
        "another machine": "worker-7.example.org:4242",
    }[where]
    export = running_export(worker=worker, beat_seconds_ago=beat_seconds_ago)
    assert sweep_exports() == int(swept)
    export.refresh_from_db()
    assert export.state == (ExportState.FAILED if swept else ExportState.RUNNING)


def test_the_edition_page_sweeps_and_shows_the_reason(editor, handbook, settings):
    factories.chapter(handbook, by=editor, title="Legal framework", status="approved")
    edition = publish(
        handbook=handbook, label="1.0", date=datetime.date(2026, 12, 1), release_notes="", by=editor
    )
    Export.objects.create(
        handbook=handbook,
        edition=edition,
        format="pdf",
        requested_by=editor,
        state=ExportState.RUNNING,
        worker=f"{socket.gethostname()}:{dead_pid()}",
        heartbeat_at=clock.now(),
    )
    page = client_for(editor).get(edition.get_absolute_url())
    assert "The worker stopped while making this export; request it again." in page.text


def test_attempts_are_bounded_in_a_short_window(
    editor, handbook, settings, monkeypatch, media, clock
):
    settings.EXPORT_MAX_ATTEMPTS = 2
    settings.EXPORT_ATTEMPT_WINDOW = 3600

    def broken(document, **options):
        raise exporting.ExportError("renderer crashed")

    monkeypatch.setitem(exporting.FORMATS, "html", (broken, "html", "text/html"))
    factories.chapter(handbook, by=editor, title="Legal framework", status="approved")
    edition = publish(
        handbook=handbook, label="1.0", date=datetime.date(2026, 12, 1), release_notes="", by=editor
    )
    with TestCaseCallbacks():
        export, _ = request_export(handbook=handbook, edition=edition, format="html", by=editor)
    with TestCaseCallbacks():
        request_export(handbook=handbook, edition=edition, format="html", by=editor)
    export.refresh_from_db()
    assert export.state == ExportState.FAILED and export.attempts == 2
    with pytest.raises(ExportRefused, match="failed 2 times in the last 60 minutes"):
        request_export(handbook=handbook, edition=edition, format="html", by=editor)
    # Through the page: said, not a 500.
    client = client_for(editor)
    url = reverse("chapters:export_edition", args=[handbook.slug, "1.0"])
    response = client.post(url, {"format": "html"}, follow=True)
    assert "failed 2 times" in response.text
    # After the window, it may be tried again.
    clock.set_to(clock.now() + datetime.timedelta(hours=2))
    monkeypatch.setitem(exporting.FORMATS, "html", (lambda d, **o: b"<html>", "html", "x/y"))
    with TestCaseCallbacks():
        request_export(handbook=handbook, edition=edition, format="html", by=editor)
    export.refresh_from_db()
    assert export.state == ExportState.DONE and export.attempts == 1


class TestCaseCallbacks:
    """Run what a block queued on commit, as a real commit would (the export task)."""

    def __enter__(self):
        from django.test import TestCase

        self._context = TestCase.captureOnCommitCallbacks(execute=True)
        return self._context.__enter__()

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


# --- A full disk


def make_edition(handbook, editor):
    factories.chapter(handbook, by=editor, title="Legal framework", status="approved")
    return publish(
        handbook=handbook, label="1.0", date=datetime.date(2026, 12, 1), release_notes="", by=editor
    )


def test_disk_full_fails_the_export_with_a_readable_message(editor, handbook, media, monkeypatch):
    def full(self, name, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(AtomicFileSystemStorage, "_save", full)
    edition = make_edition(handbook, editor)
    with TestCaseCallbacks():
        export, _ = request_export(handbook=handbook, edition=edition, format="md", by=editor)
    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert "the server's disk is full" in export.error
    assert not export.file
    assert not [p for p in media.rglob("*") if p.is_file()]
    page = client_for(editor).get(edition.get_absolute_url())
    assert "the server&#x27;s disk is full" in page.text


class FillsTheDisk(File):
    """Content that writes some bytes, then meets a full disk, as a real write would."""

    def __init__(self, seen: list[bool], final: Path) -> None:
        super().__init__(None, name="x")
        self.seen, self.final = seen, final
        self.size = 3 * 1024

    def chunks(self, chunk_size=None):
        yield b"a" * 1024
        yield b"b" * 1024
        self.seen.append(self.final.exists())  # never under the real name while writing
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_partial_write_leaves_no_file(media):
    storage = AtomicFileSystemStorage(location=media)
    seen: list[bool] = []
    with pytest.raises(OSError, match="No space left"):
        storage.save(
            "exports/handbook-1-0.pdf", FillsTheDisk(seen, media / "exports/handbook-1-0.pdf")
        )
    assert seen == [False]
    assert not [p for p in media.rglob("*") if p.is_file()]  # the .part- file is gone too


def test_a_partial_write_during_an_export_leaves_no_file(editor, handbook, media, monkeypatch):
    seen: list[bool] = []
    real_content_file = editions.ContentFile

    def filling(data):
        return FillsTheDisk(seen, media / "never")

    monkeypatch.setattr(editions, "ContentFile", filling)
    edition = make_edition(handbook, editor)
    with TestCaseCallbacks():
        export, _ = request_export(handbook=handbook, edition=edition, format="md", by=editor)
    export.refresh_from_db()
    assert seen == [False]
    assert export.state == ExportState.FAILED and "disk is full" in export.error
    assert not [p for p in media.rglob("*") if p.is_file()]
    assert real_content_file is ContentFile


def test_a_complete_write_lands_under_its_name(media):
    storage = AtomicFileSystemStorage(location=media)
    name = storage.save("exports/a.txt", ContentFile(b"complete"))
    assert (media / name).read_bytes() == b"complete"
    assert [p.name for p in media.rglob("*") if p.is_file()] == ["a.txt"]


def test_local_storage_is_the_atomic_one_by_default():
    from django.core.files.storage import default_storage

    assert isinstance(default_storage, AtomicFileSystemStorage)
