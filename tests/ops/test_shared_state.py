"""The "shared" cache is shared: what one process writes, another reads; counters add up."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django_ratelimit.checks import check_caches

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, our own manage.py
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def sqlite_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a deployment on a migrated SQLite file (REDIS_URL as in this run)."""
    path = tmp_path_factory.mktemp("shared") / "db.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"sqlite:///{path}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return env


def test_what_one_process_writes_another_reads(sqlite_env):
    manage(
        sqlite_env,
        "from django.core.cache import caches; caches['shared'].set('greeting', 'zdravo', 60)",
    )
    read = manage(
        sqlite_env, "from django.core.cache import caches; print(caches['shared'].get('greeting'))"
    )
    assert read.stdout.strip() == "zdravo"


def test_two_processes_counting_at_once_lose_nothing(sqlite_env):
    manage(sqlite_env, "from django.core.cache import caches; caches['shared'].set('n', 0, 300)")
    count = "from django.core.cache import caches\nfor _ in range(100): caches['shared'].incr('n')"
    runs = [
        subprocess.Popen(  # noqa: S603 - this interpreter, our own manage.py
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", count],
            cwd=ROOT,
            env=sqlite_env,
        )
        for _ in range(2)
    ]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    read = manage(
        sqlite_env, "from django.core.cache import caches; print(caches['shared'].get('n'))"
    )
    assert read.stdout.strip() == "200"


def test_incr_keeps_the_expiry_and_refuses_a_missing_key(db):
    shared = caches["shared"]
    shared.set("tries", 1, 30)
    assert shared.incr("tries") == 2
    assert shared.incr("tries", 5) == 7
    assert shared.get("tries") == 7
    if hasattr(shared, "_table"):  # the database cache: the row still expires in 30 seconds
        with connection.cursor() as cursor:
            cursor.execute("SELECT expires FROM ops_shared_cache")
            (expires,) = cursor.fetchone()
        assert expires is not None
        shared.set("short", 1, -1)  # already expired
        with pytest.raises(ValueError):
            shared.incr("short")
    with pytest.raises(ValueError):
        shared.incr("never-set")


def test_django_ratelimit_accepts_the_shared_cache(settings):
    settings.RATELIMIT_USE_CACHE = "shared"
    assert [e.id for e in check_caches(None) if e.is_serious()] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_another_process_and_concurrent_connections_agree():
    if connection.vendor != "postgresql":
        pytest.skip("the database's own test database is in memory on SQLite (tested above)")
    shared = caches["shared"]
    shared.set("greeting", "mirëdita", 60)
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    read = manage(
        env, "from django.core.cache import caches; print(caches['shared'].get('greeting'))"
    )
    assert read.stdout.strip() == "mirëdita"

    shared.set("n", 0, 300)
    barrier = threading.Barrier(4)

    def count() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(25):
                caches["shared"].incr("n")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert shared.get("n") == 100
