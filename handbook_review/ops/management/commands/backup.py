"""manage.py backup: the database and the stored files, as one backup in BACKUP_DIR."""

from pathlib import Path
from typing import Any

from dbbackup.db.base import get_connector
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from handbook_review.ops import backups


class Command(BaseCommand):
    help = (
        "Back up the database and the stored files (MEDIA_ROOT: images, exports) into "
        "STORAGES['dbbackup'] (BACKUP_DIR). Copy BACKUP_DIR off the machine, with the "
        "environment (SECRET_KEY, DATABASE_URL ...), which is not in the backup."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="Afterwards delete all but the newest KEEP backups (e.g. 30 for a month of "
            "nightly ones).",
        )

    def handle(self, *args: Any, keep: int | None, **options: Any) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        stamp = backups.new_stamp()
        database = backups.database_name(stamp, get_connector("default").extension)
        media = backups.media_name(stamp)
        files = storages["default"]
        if isinstance(files, FileSystemStorage):  # a new site has no MEDIA_ROOT yet
            Path(files.location).mkdir(parents=True, exist_ok=True)
        quiet = {"quiet": True, "interactive": False}
        call_command("dbbackup", "--compress", "--output-filename", database, **quiet)
        call_command("mediabackup", "--compress", "--output-filename", media, **quiet)
        store = backups.storage()
        self.stdout.write(f"Backup {stamp} written to {store.storage.location}:")  # type: ignore[attr-defined]
        for name in (database, media):
            size = store.storage.size(name)
            self.stdout.write(f"  {name}  ({size:,} bytes)")
        if keep is not None:
            removed = prune(keep)
            self.stdout.write(f"Kept the newest {keep} backup(s), deleted {removed}.")
        self.stdout.write(self.style.SUCCESS(f"Backup {stamp} complete."))


def prune(keep: int) -> int:
    """Delete all but the newest `keep` backups; returns how many were deleted."""
    store = backups.storage()
    old = backups.backups()[:-keep]
    for backup in old:
        for name in (backup.database, backup.media):
            if name is not None:
                store.delete_file(name)
                if name == backup.database and store.storage.exists(f"{name}.metadata"):
                    store.delete_file(f"{name}.metadata")
    return len(old)
