"""manage.py backup / restore: a seeded review comes back row for row and file for file.

Runs on the database of the run: PostgreSQL (pg_dump/pg_restore against the test database) in
CI's PostgreSQL pass, SQLite (the backup API, into the in-memory test database) in the other.
"""

import hashlib
import importlib
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from dbbackup import settings as dbbackup_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from chapters.models import Export, ExportFormat, Handbook
from handbook_review.people.models import Agency, Role
from tests import factories

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "backups"
    # dbbackup reads STORAGES["dbbackup"] once, when imported: point it at a folder of the test.
    monkeypatch.setattr(
        dbbackup_settings,
        "STORAGE_OPTIONS",
        {**dbbackup_settings.STORAGE_OPTIONS, "location": str(folder)},
    )
    return folder


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


EDITIONS_MIGRATION = "chapters.migrations.0003_review_rounds_workflow_editions"


def remove_editions() -> None:
    """Published editions are protected by triggers that refuse DELETE: PostgreSQL's flush
    (TRUNCATE) passes them, SQLite's (DELETE) does not, so there the rows go first, with the
    triggers dropped for the moment (as tests/browser/conftest.py's removable_editions)."""
    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module(EDITIONS_MIGRATION)
    with connection.schema_editor() as schema_editor:
        migration.unprotect_editions(None, schema_editor)
        schema_editor.execute("DELETE FROM chapters_export WHERE edition_id IS NOT NULL")
        schema_editor.execute("DELETE FROM chapters_editionchapter")
        schema_editor.execute("DELETE FROM chapters_edition")
        migration.protect_editions(None, schema_editor)


@pytest.fixture
def removable_editions():
    yield
    remove_editions()  # so that the test database can be flushed after the test


def wipe(media: Path) -> None:
    remove_editions()
    factories.empty_audit_log()
    call_command("flush", "--noinput")
    for path in media.rglob("*"):
        if path.is_file():
            path.unlink()


def seed() -> None:
    """A handbook in its second review (editions, versions, rounds, threads, a reply, a
    suggestion, a sign-off, notices), one more version, an uploaded image and a stored export."""
    editor = factories.user(Role.EDITOR, code="SEESAC", agency=Agency.OTHER)
    counterpart = factories.user(Role.COUNTERPART, code="AL")
    book = factories.handbook(codes=("AL", "BA"))
    first = factories.chapter(book, by=editor, in_round=False)
    factories.second_review(book, first, editor=editor, counterpart=counterpart)
    first.refresh_from_db()
    first.revise(
        body=first.body + "\nЋирилица и shqip: ë ç.\n",
        by=editor,
        reason="Cyrillic and Albanian",
        base_version=first.version,
    )
    default_storage.save("images/mark.png", ContentFile(b"\x89PNG not really" * 100))
    export = Export.objects.create(handbook=book, format=ExportFormat.HTML, requested_by=editor)
    export.file.save("handbook.html", ContentFile("<h1>Ћирилица</h1>".encode()))


def tables() -> dict[str, list[str]]:
    """Every row of every table (migrations, sessions and the shared cache included)."""
    connection.close()  # after pg_restore: a fresh connection sees the restored tables
    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump[table] = sorted(repr(row) for row in cursor.fetchall())
    return dump


def files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_backup_wipe_restore_gives_back_every_row_and_file(backup_dir, media, removable_editions):
    seed()
    rows, stored = tables(), files(media)
    assert len(stored) == 2 and rows["comments_thread"] and rows["chapters_historicalchapter"]

    out = StringIO()
    call_command("backup", stdout=out)
    assert "complete" in out.getvalue()
    written = sorted(p.name for p in backup_dir.iterdir())
    assert any(name.endswith(".media.tar.gz") for name in written)
    # pg_dump's custom format on PostgreSQL, a database file made by SQLite's backup API.
    dump = {"postgresql": ".psql.bin.gz", "sqlite": ".sqlite3.gz"}[connection.vendor]
    assert any(name.endswith(dump) for name in written)
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in backup_dir.iterdir())

    wipe(media)
    assert tables() != rows and files(media) == {}

    out = StringIO()
    call_command("restore", "--noinput", stdout=out)
    assert "Restored backup" in out.getvalue()
    assert tables() == rows
    assert files(media) == stored
    # The sequences came back too: new rows do not collide with restored ones.
    factories.handbook()


def test_restore_refuses_what_is_not_there(backup_dir, media):
    with pytest.raises(CommandError, match="no complete backup"):
        call_command("restore", "--noinput")
    call_command("backup", stdout=StringIO())
    with pytest.raises(CommandError, match="no backup 1999-01-01-000000"):
        call_command("restore", "1999-01-01-000000", "--noinput")


def test_restore_asks_first_and_does_nothing_without_yes(backup_dir, media, monkeypatch):
    factories.handbook(slug="kept")
    call_command("backup", stdout=StringIO())
    factories.handbook(slug="made-after-the-backup")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", stdout=StringIO())
    assert Handbook.objects.filter(slug="made-after-the-backup").exists()


def test_keep_deletes_the_oldest_backups(backup_dir, media):
    from handbook_review.ops import backups

    for stamp in ("2026-01-01-000000", "2026-01-02-000000", "2026-01-03-000000"):
        backup_dir.mkdir(exist_ok=True)
        (backup_dir / backups.database_name(stamp, "dump")).write_bytes(b"x")
        (backup_dir / f"{backups.database_name(stamp, 'dump')}.metadata").write_text("{}")
        (backup_dir / backups.media_name(stamp)).write_bytes(b"x")
    call_command("backup", "--keep", "2", stdout=StringIO())
    stamps = [b.stamp for b in backups.backups()]
    assert len(stamps) == 2 and stamps[0] == "2026-01-03-000000"
    assert not list(backup_dir.glob("*2026-01-0[12]*"))


def test_the_commands_read_backup_dir_from_the_environment(tmp_path):
    """As cron runs them: a SQLite file, BACKUP_DIR and MEDIA_ROOT from the environment."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BACKUP_DIR": str(tmp_path / "nightly"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }

    def run(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - this interpreter, our own manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("migrate", "--noinput", "-v", "0")
    (tmp_path / "media" / "images").mkdir(parents=True)
    (tmp_path / "media" / "images" / "a.png").write_bytes(b"image")
    assert str(tmp_path / "nightly") in run("backup")
    (tmp_path / "media" / "images" / "a.png").unlink()
    assert "Restored backup" in run("restore", "--noinput")
    assert (tmp_path / "media" / "images" / "a.png").read_bytes() == b"image"
    assert "incomplete" not in run("restore", "--list")
