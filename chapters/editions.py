"""Publishing editions and making their exports.

An edition is published once, from approved chapters, as an immutable snapshot; its exports are
made once in the background, stored, and served from storage afterwards. Draft exports are made
from the current working text each time an editor asks, watermarked as drafts.
"""

from __future__ import annotations

import datetime
import errno
import logging
import uuid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.utils.translation import gettext as _

from chapters import exporting, jobs, notices, policies, signals
from chapters.models import (
    Chapter,
    Edition,
    EditionChapter,
    Export,
    ExportFormat,
    ExportState,
    Handbook,
    Status,
    rendered_html,
)
from handbook_review import clock

if TYPE_CHECKING:
    from handbook_review.people.models import User

log = logging.getLogger(__name__)


class CannotPublish(Exception):
    """Publishing was refused; `reasons` says why, in words an editor can act on."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def label_problems(handbook: Handbook, label: str) -> list[str]:
    """Why `label` cannot name the handbook's next edition (asked before the editor is asked
    to confirm; publish checks the same again under its lock)."""
    try:
        Edition._meta.get_field("label").clean(label, Edition(handbook=handbook))
    except ValidationError as error:
        return list(error.messages)
    if Edition.objects.filter(handbook=handbook, label=label).exists():
        return [_("This handbook already has an edition with this label.")]
    return []


def publication_blockers(handbook: Handbook) -> list[str]:
    """Why the handbook cannot be published now (empty when every chapter is approved)."""
    return _not_approved(list(handbook.chapters.order_by("number")))


def _not_approved(chapters: list[Chapter]) -> list[str]:
    if not chapters:
        return [_("The handbook has no chapters.")]
    return [
        _("Chapter %(number)s “%(title)s” is %(status)s, not approved.")
        % {"number": c.number, "title": c.title, "status": c.get_status_display().lower()}
        for c in chapters
        if c.status != Status.APPROVED
    ]


def publish(
    *,
    handbook: Handbook,
    label: str,
    date: datetime.date,
    release_notes: str,
    by: User,
) -> Edition:
    """Publish the handbook's current, approved chapters as an edition that never changes.

    The chapter rows are locked for the snapshot, so no edit or workflow change can slip in
    between the approval check and the copy of the text.
    """
    policies.editions.require(by, "publish")
    with transaction.atomic():
        # Locked in primary-key order, as everywhere; then read in the handbook's order.
        locked = Chapter.objects.select_for_update().filter(handbook=handbook).order_by("pk")
        chapters = sorted(locked, key=lambda c: c.number)
        reasons = _not_approved(chapters)
        if reasons:
            raise CannotPublish(reasons)
        previous = Edition.objects.filter(handbook=handbook).order_by("-published_at").first()
        edition = Edition(
            handbook=handbook,
            label=label.strip(),
            date=date,
            release_notes=release_notes.strip(),
            title=handbook.title,
            organisations=handbook.organisations,
            distribution_marking=handbook.distribution_marking,
            language=handbook.language,
            previous=previous,
            published_by=by,
            published_at=clock.now(),
        )
        try:
            edition.full_clean()
        except ValidationError as error:
            raise CannotPublish([m for ms in error.message_dict.values() for m in ms]) from error
        try:
            with transaction.atomic():
                edition.save()
        except IntegrityError as error:  # a concurrent publication took the label
            raise CannotPublish(
                [_("This handbook already has an edition with this label.")]
            ) from error
        EditionChapter.objects.bulk_create(
            EditionChapter(
                edition=edition,
                chapter=c,
                number=c.number,
                title=c.title,
                body=c.body,
                version=c.version,
            )
            for c in chapters
        )
        transaction.on_commit(partial(notices.notify_edition, edition), robust=True)
        transaction.on_commit(
            partial(signals.edition_published.send, sender=Edition, edition=edition), robust=True
        )
    return edition


# --- Export documents


def _organisations(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def edition_document(edition: Edition) -> exporting.ExportDocument:
    return exporting.ExportDocument(
        title=edition.title,
        label=edition.label,
        date=edition.date,
        organisations=_organisations(edition.organisations),
        distribution_marking=edition.distribution_marking,
        language=edition.language,
        release_notes=edition.release_notes,
        identifier=f"urn:handbook-review:{edition.handbook.slug}:{edition.label}",
        chapters=[
            exporting.ExportChapter(
                number=c.number, title=c.title, body=c.body, version=c.version, html=c.rendered()
            )
            for c in edition.chapters.order_by("number")
        ],
        images=edition.handbook.image_names(),
    )


def draft_document(handbook: Handbook, versions: dict[str, int]) -> exporting.ExportDocument:
    """The working text at the recorded chapter versions (taken from history if it moved on)."""
    chapters = []
    for chapter in handbook.chapters.order_by("number"):
        version = versions.get(str(chapter.pk))
        if version is None:
            continue
        if version == chapter.version:
            title, body = chapter.title, chapter.body
        else:
            old = chapter.history.get(version=version)
            title, body = old.title, old.body
        chapters.append(
            exporting.ExportChapter(
                number=chapter.number,
                title=title,
                body=body,
                version=version,
                html=rendered_html(chapter.pk, version, chapter.number, body),
            )
        )
    today = clock.now().date()
    return exporting.ExportDocument(
        title=handbook.title,
        label=_("Draft"),
        date=today,
        organisations=_organisations(handbook.organisations),
        distribution_marking=handbook.distribution_marking,
        language=handbook.language,
        identifier=f"urn:handbook-review:{handbook.slug}:draft:{today.isoformat()}",
        chapters=chapters,
        draft=True,
        images=handbook.image_names(),
    )


class ExportRefused(Exception):
    """The export is not queued again; the message says why, in words an editor can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def worker_stopped_message() -> str:
    return _("The worker stopped while making this export; request it again.")


def request_export(
    *, handbook: Handbook, edition: Edition | None, format: str, by: User
) -> tuple[Export, bool]:
    """Queue an export, or return the edition's existing one (made once, then served).

    Returns (export, queued). A failed edition export (its worker died, the disk was full, the
    renderer failed) is queued again, at most EXPORT_MAX_ATTEMPTS times within
    EXPORT_ATTEMPT_WINDOW seconds: past that ExportRefused says so, because trying again at
    once would fail the same way. A draft export is always made anew from the current text.
    """
    policies.exports.require(by, "request")
    if format not in ExportFormat.values:
        raise ValueError(f"Unknown export format {format!r}.")
    sweep_exports(handbook=handbook)
    now = clock.now()
    with transaction.atomic():
        if edition is not None:
            export, created = Export.objects.select_for_update().get_or_create(
                edition=edition,
                format=format,
                defaults={"handbook": handbook, "requested_by": by, "attempts_since": now},
            )
            if not created and export.state != ExportState.FAILED:
                return export, False
            if not created:
                window = int(getattr(settings, "EXPORT_ATTEMPT_WINDOW", 3600))
                limit = int(getattr(settings, "EXPORT_MAX_ATTEMPTS", 3))
                since = export.attempts_since
                if since is None or (now - since).total_seconds() > window:
                    export.attempts, export.attempts_since = 0, now
                elif export.attempts >= limit:
                    raise ExportRefused(
                        _(
                            "This export has failed %(attempts)s times in the last %(minutes)s "
                            "minutes, so it is not queued again for now (last error: %(error)s). "
                            "Ask an administrator to look at the worker's log."
                        )
                        % {
                            "attempts": export.attempts,
                            "minutes": max(1, window // 60),
                            "error": export.error or _("unknown"),
                        }
                    )
                export.state, export.error, export.worker = ExportState.QUEUED, "", ""
                export.heartbeat_at = export.started_at = export.finished_at = None
                export.requested_by, export.requested_at = by, now
                export.save()
        else:
            versions = {str(pk): v for pk, v in handbook.chapters.values_list("pk", "version")}
            export = Export.objects.create(
                handbook=handbook,
                format=format,
                requested_by=by,
                versions=versions,
                attempts_since=now,
            )
        export_id = export.pk
        transaction.on_commit(lambda: make_export.enqueue(export_id))
    return export, True


def sweep_exports(*, handbook: Handbook | None = None) -> int:
    """Mark failed the running exports whose worker is gone or whose heartbeat is too old.

    Runs when an export's page or status is shown, from `manage.py sweep_jobs` and when a
    worker starts, so that an export whose worker was killed never stays "running" for ever.
    Each row is updated only if its heartbeat did not move meanwhile. Returns how many failed.
    """
    running = Export.objects.filter(state=ExportState.RUNNING)
    if handbook is not None:
        running = running.filter(handbook=handbook)
    now = clock.now()
    swept = 0
    for pk, worker, heartbeat_at, started_at in running.values_list(
        "pk", "worker", "heartbeat_at", "started_at"
    ):
        if jobs.is_stale(worker, heartbeat_at or started_at, now=now):
            log.warning("Export %s: worker %s stopped; marked failed", pk, worker or "?")
            swept += Export.objects.filter(
                pk=pk, state=ExportState.RUNNING, worker=worker, heartbeat_at=heartbeat_at
            ).update(state=ExportState.FAILED, error=worker_stopped_message(), finished_at=now)
    return swept


def storage_error_message(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return _(
            "The export could not be stored: the server's disk is full. Nothing was kept; ask "
            "an administrator to free space, then request it again."
        )
    return _("The export could not be stored (%(reason)s). Nothing was kept; request it again.") % {
        "reason": error.strerror or type(error).__name__
    }


@task()
def make_export(export_id: int) -> None:
    """Render one export and store it; a failure is recorded, never a broken file.

    The export names its worker and beats a heartbeat while it renders, so that the sweep can
    tell a slow export from a dead one. The file is stored complete or not at all (the storage
    writes a temporary name and moves it into place); the last writes are retried while the
    database is unreachable, so a failover does not leave the export "running".
    """
    me = jobs.this_worker()
    now = clock.now()
    claimed = Export.objects.filter(pk=export_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=me,
        attempts=F("attempts") + 1,
    )
    if not claimed:  # another worker has it, or it is done
        return
    mine = Export.objects.filter(pk=export_id, worker=me)

    def beat() -> None:
        mine.filter(state=ExportState.RUNNING).update(heartbeat_at=clock.now())

    export = Export.objects.select_related("handbook", "edition__handbook").get(pk=export_id)
    try:
        with jobs.heartbeat(beat):
            # Reading the document only reads the database: a dropped connection is retried
            # like the final writes, not taken for a failed export.
            document = jobs.retry_db(lambda: export_document(export))
            render, extension, _content_type = exporting.FORMATS[export.format]
            data = render(document, media_root=Path(settings.MEDIA_ROOT))
            if not data:
                raise exporting.ExportError("The export came out empty.")
            export.file.save(export_filename(export, extension), ContentFile(data), save=False)
    except OSError as error:
        log.exception("Export %s could not be stored", export_id)
        _fail(export_id, me, storage_error_message(error))
        return
    except Exception as error:
        log.exception("Export %s failed", export_id)
        _fail(export_id, me, str(error) or type(error).__name__)
        return
    # Still ours (running, or failed by a sweep that thought us gone): record the file.
    finished = jobs.retry_db(
        lambda: mine.filter(state__in=[ExportState.RUNNING, ExportState.FAILED]).update(
            state=ExportState.DONE,
            file=export.file.name,
            size=len(data),
            error="",
            finished_at=clock.now(),
        )
    )
    if not finished:  # queued again meanwhile: another worker makes it; keep no orphan
        export.file.delete(save=False)


def export_document(export: Export) -> exporting.ExportDocument:
    if export.edition is not None:
        return edition_document(export.edition)
    return draft_document(export.handbook, export.versions)


def _fail(export_id: int, worker: str, message: str) -> None:
    jobs.retry_db(
        lambda: Export.objects.filter(
            pk=export_id, worker=worker, state=ExportState.RUNNING
        ).update(state=ExportState.FAILED, error=message, finished_at=clock.now())
    )


def export_filename(export: Export, extension: str) -> str:
    """A random name (stored as exports/<uuid>.<ext>): guessing it gets no one a file.
    People download under a readable name, `Export.download_filename`."""
    return f"{uuid.uuid4().hex}.{extension}"
