import sys

from django.core.management.base import BaseCommand

from postmortems.lint import site_vocabulary
from postmortems.linting.cli import main


class Command(BaseCommand):
    help = "Lint Markdown files (or stdin) for blameful language, knowing this site's people and terms."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON array of findings")
        parser.add_argument("files", nargs="*", metavar="FILE", help="files to lint; '-' is stdin")

    def handle(self, *args, **options) -> None:
        argv = (["--json"] if options["json"] else []) + options["files"]
        vocabulary = site_vocabulary()
        code = main(
            argv,
            stdin=sys.stdin,
            stdout=self.stdout,
            people=vocabulary.people,
            extra_terms=vocabulary.extra_terms,
            allowed_terms=vocabulary.allowed_terms,
        )
        if code:
            sys.exit(code)
