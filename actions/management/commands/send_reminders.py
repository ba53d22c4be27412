from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from actions.reminders import Digest, reminders_plan, reminders_send


def parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now {value!r} is not an ISO-8601 date and time; "
            "use e.g. 2026-03-10T09:00 (UTC) or 2026-03-10T09:00+01:00."
        ) from None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Send the reminder digests due now: the sweep that Celery beat runs every hour."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print who would get which digest; claim and send nothing.",
        )
        parser.add_argument(
            "--now",
            type=parse_now,
            help="Run as of this moment (ISO-8601; without an offset it is UTC).",
        )

    def handle(self, *args, dry_run: bool, now: datetime | None, **options) -> None:
        now = now or timezone.now()
        if dry_run:
            digests = reminders_plan(now=now)
            self.stdout.write(f"As of {now.isoformat()}: {len(digests)} digest(s) due.")
            for digest in digests:
                self.stdout.write(self._describe(digest))
            return
        sweep = reminders_send(now=now)
        held = f", {sweep.held} held by another running sweep" if sweep.held else ""
        self.stdout.write(
            f"As of {now.isoformat()}: {sweep.due} digest(s) due, {sweep.claimed} claimed "
            f"by this run, {sweep.sent} sent, {sweep.failed} failed{held}."
        )
        if sweep.failed:
            raise CommandError(f"{sweep.failed} digest(s) failed; the next run retries them.")

    def _describe(self, digest: Digest) -> str:
        head = f"{digest.email} ({digest.time_zone}, {digest.day:%Y-%m-%d}): {digest.summary()}"
        lines = [head]
        for line, section in digest.lines():
            lines.append(f"  {section:<9} #{line.id} {line.title} (due {line.due_date:%Y-%m-%d})")
        for draft in digest.drafts:
            due = draft.deadline.astimezone(digest.zone)
            lines.append(
                f"  draft     {draft.reference} {draft.title} (review due {due:%Y-%m-%d %H:%M})"
            )
        for review in digest.reviews:
            since = review.submitted_at.astimezone(digest.zone)
            lines.append(
                f"  review    {review.reference} {review.title} (in review since {since:%Y-%m-%d})"
            )
        for item in digest.unverified:
            done = item.completed_at.astimezone(digest.zone)
            lines.append(f"  verify    #{item.id} {item.title} (done {done:%Y-%m-%d})")
        for past in digest.anniversaries:
            lines.append(f"  past      {past.reference} {past.title} (began {past.began:%Y-%m-%d})")
        return "\n".join(lines)
