"""Mark failed the exports, imports and queue entries whose worker stopped (run it every minute).

Safe to run as often as you like and from several machines: a row is only changed while it is
still running with the same heartbeat.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chapters import jobs
from chapters.editions import sweep_exports
from chapters.import_jobs import sweep_imports


def sweep_all() -> dict[str, int]:
    return {
        "exports": sweep_exports(),
        "imports": sweep_imports(),
        "tasks": jobs.sweep_task_results(),
    }


class Command(BaseCommand):
    help = "Mark failed the background jobs whose worker stopped, so they can be requested again."

    def handle(self, *args: Any, **options: Any) -> None:
        swept = sweep_all()
        if options["verbosity"] > 0:
            self.stdout.write(
                "Swept {exports} export(s), {imports} import(s), {tasks} task(s).".format(**swept)
            )
