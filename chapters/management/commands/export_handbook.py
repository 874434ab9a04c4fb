"""Export an edition, or the current draft, of a handbook to a file."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters import exporting
from chapters.editions import draft_document, edition_document
from chapters.models import Edition, ExportFormat, Handbook


class Command(BaseCommand):
    help = "Export an edition (--edition LABEL) or the current draft (--draft) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("handbook", help="The handbook's slug.")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--edition", metavar="LABEL", help="A published edition, e.g. 1.0.")
        which.add_argument("--draft", action="store_true", help="The current working text.")
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.PDF)
        parser.add_argument("--output", "-o", help="File to write (default: a name in the cwd).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            handbook = Handbook.objects.get(slug=options["handbook"])
        except Handbook.DoesNotExist as error:
            raise CommandError(f"No handbook {options['handbook']!r}.") from error
        if options["draft"]:
            versions = {str(pk): v for pk, v in handbook.chapters.values_list("pk", "version")}
            document = draft_document(handbook, versions)
            stem = f"{handbook.slug}-draft"
        else:
            try:
                edition = handbook.editions.get(label=options["edition"])
            except Edition.DoesNotExist as error:
                raise CommandError(
                    f"{handbook.slug} has no edition {options['edition']!r}."
                ) from error
            document = edition_document(edition)
            stem = f"{handbook.slug}-{edition.label.replace('.', '-')}"
        render, extension, _content_type = exporting.FORMATS[options["format"]]
        try:
            data = render(document, media_root=Path(settings.MEDIA_ROOT))
        except exporting.ExportError as error:
            raise CommandError(f"The export failed: {error}") from error
        target = Path(options["output"] or f"{stem}.{extension}")
        target.write_bytes(data)
        self.stdout.write(f"Wrote {target} ({len(data):,} bytes).")
