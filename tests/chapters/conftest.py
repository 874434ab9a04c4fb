"""A real worker process (`manage.py run_worker`) next to the test, on the same database."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

MANAGE = Path(django_settings.BASE_DIR) / "manage.py"


@pytest.fixture
def shared_db(transactional_db, tmp_path) -> Iterator[str]:
    """The test database as a URL another process can open; committed rows are seen by both.

    PostgreSQL: the test database itself. SQLite: the in-memory test database is copied (schema
    and migrated rows) into a file, and this process switches to that file for the test, so the
    test and the worker share it; the in-memory one is put back afterwards.
    """
    if connection.vendor != "sqlite":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        yield f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    saved_connection, saved_name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved_name
        connection.connection = saved_connection


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def queue(settings) -> None:
    """Tasks go to the database queue (as in production) instead of running in the test."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def worker(shared_db, media, queue, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `manage.py run_worker` processes on the shared database; all are stopped after."""
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DATABASE_URL": shared_db,
        "MEDIA_ROOT": str(media),
        "EXPORT_HEARTBEAT_INTERVAL": "0.5",
        "DJANGO_SETTINGS_MODULE": "handbook_review.settings",
    }
    env.pop("TASKS_IMMEDIATE", None)

    def start(*args: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(MANAGE),
                "run_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                *args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition: Callable[[], bool], *, timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
