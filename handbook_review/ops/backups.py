"""Backups with django-dbbackup: one backup is a database dump and a tarball of the stored files
(MEDIA_ROOT: images, exports), both named with the same time stamp, in STORAGES["dbbackup"]
(BACKUP_DIR, a local folder).

Names: `handbook-review-<stamp>.<database dump extension>.gz` (with dbbackup's `.metadata`
beside it, which records the engine and connector) and `handbook-review-<stamp>.media.tar.gz`.
"""

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from shutil import copyfileobj
from tempfile import NamedTemporaryFile
from typing import IO, Any

from dbbackup.db.sqlite import SqliteBackupConnector
from dbbackup.storage import Storage, get_storage

PREFIX = "handbook-review-"
STAMP_FORMAT = "%Y-%m-%d-%H%M%S"
_NAME = re.compile(rf"^{PREFIX}(?P<stamp>\d{{4}}-\d{{2}}-\d{{2}}-\d{{6}})\.(?P<rest>.+)$")
MEDIA_SUFFIX = "media.tar.gz"


def new_stamp() -> str:
    return datetime.now(tz=UTC).strftime(STAMP_FORMAT)


def database_name(stamp: str, extension: str) -> str:
    return f"{PREFIX}{stamp}.{extension}.gz"


def media_name(stamp: str) -> str:
    return f"{PREFIX}{stamp}.{MEDIA_SUFFIX}"


@dataclass(frozen=True)
class Backup:
    stamp: str
    database: str | None  # file name in the backup storage
    media: str | None

    @property
    def complete(self) -> bool:
        return self.database is not None and self.media is not None


def storage() -> Storage:
    return get_storage()


def listed(files: list[str]) -> list[Backup]:
    """The backups among the file names, oldest first (metadata files left out)."""
    found: dict[str, dict[str, str]] = {}
    for name in files:
        match = _NAME.match(name)
        if match is None or name.endswith(".metadata"):
            continue
        kind = "media" if match["rest"] == MEDIA_SUFFIX else "database"
        found.setdefault(match["stamp"], {})[kind] = name
    return [
        Backup(stamp=stamp, database=parts.get("database"), media=parts.get("media"))
        for stamp, parts in sorted(found.items())
    ]


def backups() -> list[Backup]:
    store = storage()
    if not store.storage.exists(""):  # no backup made yet: not even the folder
        return []
    return listed(store.list_directory())


class SqliteOnlineConnector(SqliteBackupConnector):
    """dbbackup's SQLite connector, restoring through SQLite's backup API.

    dbbackup's own restore writes the backup over the database file. With the write-ahead log
    (settings turn it on) and other processes holding the file open, that mixes the old log into
    the new file; the backup API copies the pages into the open database under SQLite's locks.
    It also restores into an in-memory database (the tests').
    """

    def restore_dump(self, dump: IO[bytes]) -> Any:
        self.connection.ensure_connection()
        with NamedTemporaryFile(suffix=".sqlite3") as copy:
            copyfileobj(dump, copy)
            copy.flush()
            source = sqlite3.connect(copy.name)
            try:
                source.backup(self.connection.connection)
            finally:
                source.close()
