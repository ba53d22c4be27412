from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from postmortems.backup import ArchiveError, postmortems_import


class Command(BaseCommand):
    help = "Restore an archive written by export_postmortems into a site with no postmortems."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="the .zip archive to restore")

    def handle(self, *args, archive: Path, **options) -> None:
        try:
            count = postmortems_import(path=archive)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {count} postmortems from {archive}."))
