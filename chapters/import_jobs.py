"""Imports as background jobs: the upload is read by a worker, its preview waits in the database.

Reading a Word document means running pandoc, which can take long and much memory; that must
not happen inside a web request. The upload is stored under a random name, a worker reads it
(``read_import``), stores the chapters as JSON on the ImportJob and deletes the upload; every web
process then shows the same preview, and confirming applies it once.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext as _

from chapters import jobs
from chapters.importing import ImportResult, apply_import, chapters_from_json, chapters_to_json
from chapters.models import Handbook, ImportJob, JobState
from chapters.wordfile import precheck_upload, read_upload
from chapters.wordsplit import ImportRefused
from handbook_review import clock

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.db.models import QuerySet

    from handbook_review.people.models import User

log = logging.getLogger(__name__)


class AlreadyApplied(Exception):
    pass


def start_import(*, handbook: Handbook, name: str, data: bytes, by: User) -> ImportJob:
    """Check the upload quickly (raises ImportRefused), store it and queue its reading."""
    precheck_upload(name, data)
    job = ImportJob(handbook=handbook, uploaded_by=by, filename=name[:255])
    # A random name: the editor's file name never reaches the file system.
    job.upload.save(f"{secrets.token_hex(16)}.upload", ContentFile(data), save=False)
    try:
        job.save()
    except BaseException:
        job.upload.delete(save=False)
        raise
    job_id = job.pk
    transaction.on_commit(lambda: read_import.enqueue(job_id))
    return job


def worker_stopped_message() -> str:
    return _("The worker stopped while reading this file; upload it again.")


@task()
def read_import(job_id: int) -> None:
    """Read the uploaded file into chapters (pandoc for Word, with limits) and keep the preview."""
    me = jobs.this_worker()
    now = clock.now()
    claimed = ImportJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, worker=me
    )
    if not claimed:
        return
    mine = ImportJob.objects.filter(pk=job_id, worker=me)
    job = ImportJob.objects.get(pk=job_id)

    def beat() -> None:
        mine.filter(state=JobState.RUNNING).update(heartbeat_at=clock.now())

    try:
        with jobs.heartbeat(beat):
            with job.upload.open("rb") as upload:
                data = upload.read()
            preview = chapters_to_json(read_upload(job.filename, data))
    except ImportRefused as refused:
        _finish(job, mine, state=JobState.FAILED, error=refused.message)
    except OSError:
        log.exception("Import %s: the upload could not be read", job_id)
        _finish(job, mine, state=JobState.FAILED, error=_("The uploaded file could not be read."))
    except Exception:
        log.exception("Import %s failed", job_id)
        error = _("This file could not be read. Open it again, save it and import the new copy.")
        _finish(job, mine, state=JobState.FAILED, error=error)
    else:
        _finish(job, mine, state=JobState.DONE, preview=preview)


def _finish(
    job: ImportJob,
    mine: QuerySet[ImportJob],
    *,
    state: str,
    error: str = "",
    preview: list[dict[str, object]] | None = None,
) -> None:
    jobs.retry_db(
        lambda: mine.filter(state__in=[JobState.RUNNING, JobState.FAILED]).update(
            state=state, error=error, preview=preview, finished_at=clock.now(), upload=""
        )
    )
    _delete_upload(job)


def _delete_upload(job: ImportJob) -> None:
    if job.upload:
        with contextlib.suppress(OSError):
            job.upload.storage.delete(str(job.upload.name))


def sweep_imports() -> int:
    """Mark failed the imports whose worker stopped, and delete their uploads."""
    now = clock.now()
    swept = 0
    for job in ImportJob.objects.filter(state=JobState.RUNNING).only(
        "pk", "worker", "heartbeat_at", "started_at", "upload"
    ):
        if jobs.is_stale(job.worker, job.heartbeat_at or job.started_at, now=now):
            done = ImportJob.objects.filter(
                pk=job.pk, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at
            ).update(state=JobState.FAILED, error=worker_stopped_message(), finished_at=now)
            if done:
                _delete_upload(job)
                ImportJob.objects.filter(pk=job.pk).update(upload="")
                swept += 1
    return swept


def confirm_import(*, job: ImportJob, by: User, seen_versions: Mapping[int, int]) -> ImportResult:
    """Apply a read import once: the job row is locked, and a second confirm is refused.

    Raises AlreadyApplied, ImportRefused (a chapter moved on since the preview) or the
    StaleVersion/IntegrityError of a concurrent edit; nothing is written then.
    """
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.applied_at is not None:
            raise AlreadyApplied
        if locked.state != JobState.DONE or locked.preview is None:
            raise ImportRefused(_("This import has not been read yet."))
        result = apply_import(
            locked.handbook,
            chapters_from_json(locked.preview),
            by=by,
            filename=locked.filename,
            seen_versions=seen_versions,
        )
        locked.applied_at = clock.now()
        locked.preview = None  # applied: the images are stored, the text is in the chapters
        locked.save(update_fields=["applied_at", "preview"])
    return result
