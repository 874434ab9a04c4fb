"""Background jobs that cannot get stuck: who runs a job, whether that worker is still alive.

A job in the state "running" names its worker ("host:pid") and carries a heartbeat that a thread
refreshes while the work goes on. A job is stale, and may be marked failed, when its worker is
known to be gone (same host, no such process) or when its heartbeat is older than the timeout
(a worker on another machine that died, froze or lost the database for too long).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import socket
import threading
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from handbook_review import clock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_INTERVAL = 10  # seconds between two heartbeats of a running job
DEFAULT_HEARTBEAT_TIMEOUT = 120  # seconds without a heartbeat after which a job is given up


def heartbeat_interval() -> float:
    return float(getattr(settings, "EXPORT_HEARTBEAT_INTERVAL", DEFAULT_HEARTBEAT_INTERVAL))


def heartbeat_timeout() -> float:
    return float(getattr(settings, "EXPORT_HEARTBEAT_TIMEOUT", DEFAULT_HEARTBEAT_TIMEOUT))


def this_worker() -> str:
    """This process, as a job records it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_is_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc here: the signal said it exists
    return state not in {"Z", "X"}


def worker_is_gone(worker: str) -> bool:
    """True only when the worker ran on this machine and its process no longer exists."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only its heartbeat can tell
    return not process_is_alive(int(pid))


def is_stale(
    worker: str,
    heartbeat_at: datetime.datetime | None,
    *,
    now: datetime.datetime | None = None,
) -> bool:
    """Whether a running job's worker is gone or its heartbeat too old to trust."""
    if worker and worker_is_gone(worker):
        return True
    if heartbeat_at is None:
        return False
    now = now or clock.now()
    return (now - heartbeat_at).total_seconds() > heartbeat_timeout()


@contextlib.contextmanager
def heartbeat(beat: Callable[[], object], *, interval: float | None = None) -> Iterator[None]:
    """Call `beat` every `interval` seconds from a thread while the block runs.

    The thread has its own database connection (Django's are per thread) and closes it when it
    stops; a failed beat is logged and tried again at the next interval, never raised, so a
    short database outage does not stop the work it watches.
    """
    stop = threading.Event()
    every = heartbeat_interval() if interval is None else interval

    def run() -> None:
        try:
            while not stop.wait(every):
                try:
                    beat()
                except DatabaseError:
                    log.warning("Heartbeat failed; trying again in %s s", every, exc_info=True)
                    with contextlib.suppress(DatabaseError):
                        connection.close()
        finally:
            with contextlib.suppress(DatabaseError):
                connection.close()

    thread = threading.Thread(target=run, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)


def retry_db[T](write: Callable[[], T], *, attempts: int = 8, first_delay: float = 0.5) -> T:
    """Run a database write, reconnecting and trying again while the database is unreachable.

    For the last writes of a job (its result), which must not be lost because a connection
    dropped (a failover, a restart): the broken connection is closed so that the next try opens
    a new one. Gives up after `attempts` tries (about half a minute with the defaults).
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if attempt == attempts:
                raise
            log.warning("Database unreachable; trying again in %.1f s", delay, exc_info=True)
            close_connection()
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    raise AssertionError("unreachable")


def close_connection() -> None:
    """Drop this thread's database connections, whatever state they are in."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            conn.close()


def sweep_task_results() -> int:
    """Mark failed the queue's running task results whose worker (on this machine) is gone.

    `manage.py run_worker` names its worker "host:pid", so a task result left "running" by a
    killed worker can be recognised; other workers' results are left alone.
    """
    swept = 0
    for result in DBTaskResult.objects.running().only("pk", "worker_ids"):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if worker and worker_is_gone(worker):
            swept += DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=clock.now(),
                exception_class_path="chapters.jobs.WorkerStopped",
                traceback=f"The worker {worker} stopped while running this task.",
            )
    return swept
