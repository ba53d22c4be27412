from django.core.management.base import BaseCommand

from postmortems.quality import quality_score_unscored


class Command(BaseCommand):
    help = "Give a review quality score to the postmortems that have none yet (all with --all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="score every postmortem again (after new weights)"
        )

    def handle(self, *args, **options) -> None:
        count = quality_score_unscored(every=options["all"])
        self.stdout.write(f"Scored {count} postmortem(s).")
