"""manage.py restore: put a backup made by `manage.py backup` back, database and files."""

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from handbook_review.ops import backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` (the newest unless a stamp is given): "
        "replaces the database's tables and writes the stored files back into MEDIA_ROOT. "
        "Stop the web server and the task workers first, start them again afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("stamp", nargs="?", help="e.g. 2026-12-02-021500 (see --list)")
        parser.add_argument(
            "--list", action="store_true", dest="list_only", help="List the backups and stop."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(
        self, *args: Any, stamp: str | None, list_only: bool, interactive: bool, **options: Any
    ) -> None:
        found = backups.backups()
        if list_only:
            for backup in found:
                state = "" if backup.complete else "  (incomplete: not restorable)"
                self.stdout.write(f"{backup.stamp}{state}")
            if not found:
                self.stdout.write("No backups.")
            return
        backup = pick(found, stamp)
        if backup.database is None or backup.media is None:  # pick() returns complete ones
            raise CommandError(f"Backup {backup.stamp} is incomplete; it cannot be restored.")
        database = settings.DATABASES["default"]
        target = f"database {database['NAME']!s}"
        if database.get("HOST"):
            target += f" on {database['HOST']}"
        self.stdout.write(
            f"Restoring backup {backup.stamp}:\n"
            f"  {backup.database} → {target} (every table is replaced)\n"
            f"  {backup.media} → {settings.MEDIA_ROOT} (files in the backup are overwritten, "
            "others are left)"
        )
        if interactive:
            answer = input("Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        quiet = {"quiet": True, "interactive": False}
        call_command("dbrestore", "--uncompress", "--input-filename", backup.database, **quiet)
        connections.close_all()  # the tables were replaced under any open connection
        call_command(
            "mediarestore", "--uncompress", "--replace", "--input-filename", backup.media, **quiet
        )
        # Cached pages are keyed by chapter version; versions made after the backup are gone
        # and their numbers will be used again, so nothing cached may outlive the restore.
        for alias in settings.CACHES:
            caches[alias].clear()
        self.stdout.write(
            self.style.SUCCESS(f"Restored backup {backup.stamp}.")
            + " Run `manage.py migrate` if the code is newer than the backup, then start the "
            "web server and the workers."
        )


def pick(found: list[backups.Backup], stamp: str | None) -> backups.Backup:
    complete = [b for b in found if b.complete]
    if stamp is None:
        if not complete:
            raise CommandError("There is no complete backup to restore (see --list).")
        return complete[-1]
    for backup in found:
        if backup.stamp == stamp:
            if not backup.complete:
                raise CommandError(f"Backup {stamp} is incomplete; it cannot be restored.")
            return backup
    raise CommandError(f"There is no backup {stamp} (see --list).")
