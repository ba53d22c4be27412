from pathlib import Path

from django.core.management.base import BaseCommand

from postmortems.backup import postmortems_export


class Command(BaseCommand):
    help = (
        "Write every postmortem, its timeline, factors, action items and reviews to a .zip archive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="where to write the .zip archive")

    def handle(self, *args, archive: Path, **options) -> None:
        count = postmortems_export(path=archive)
        self.stdout.write(self.style.SUCCESS(f"Exported {count} postmortems to {archive}."))
