from typing import Any

from django.core.management.base import BaseCommand

from chapters.notices import sweep_rounds


class Command(BaseCommand):
    help = (
        "Send the review-round notices that are due (opened, 48 hours left, closed), each once. "
        "Run it every few minutes from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for round, event in sweep_rounds():
            self.stdout.write(f"{round.handbook.slug} / {round.name}: {event.label}")
