"""Make every search entry again from the rows: after loading data past the application (a
restore from before search existed, a bulk load). Writes as it goes keep the index current."""

from typing import Any

from django.core.management.base import BaseCommand

from comments.search.indexing import rebuild


class Command(BaseCommand):
    help = "Rebuild the search index of chapters, versions, comments and suggestions."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rebuild()
        if options["verbosity"]:
            self.stdout.write(f"{count} search entries written.")
