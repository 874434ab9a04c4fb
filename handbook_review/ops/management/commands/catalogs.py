"""Translation catalogues: `update` after changing strings, `check` in CI, `compile` to install."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handbook_review import catalogs


class Command(BaseCommand):
    help = "Keep the translation catalogues in step with the code, check them, compile them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["update", "check", "compile"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "update":
            for path in catalogs.update():
                self.stdout.write(f"wrote {path}")
        elif action == "compile":
            written = catalogs.compile_all()
            self.stdout.write(f"compiled {len(written)} catalogues")
        else:
            found = list(catalogs.problems())
            for problem in found[:200]:
                self.stderr.write(problem)
            if found:
                raise CommandError(f"{len(found)} problems in the translation catalogues")
            self.stdout.write("catalogues complete and in step")
