from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from handbook_review.notifications.tasks import send_digests


class Command(BaseCommand):
    help = (
        "E-mail the daily digest to everyone who chose it. Run once a day from cron; "
        "with --enqueue the background worker sends them instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the task for `db_worker` instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = send_digests.enqueue()
            self.stdout.write(f"Queued as task {result.id}.")
            return
        sent = send_digests.call()
        self.stdout.write(f"Sent {sent} digest(s).")
