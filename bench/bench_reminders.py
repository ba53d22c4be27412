"""Time the reminder sweep on a throwaway database: 100,000 action items (10,000 overdue)
across 1,000 owners, every one of them due for a digest.

Usage: .venv/bin/python bench/bench_reminders.py [--items 100000] [--owners 1000]
       [--overdue 10000] [--database-url URL]

Without --database-url it migrates a temporary SQLite file; with a PostgreSQL URL it creates
a throwaway `<name>_bench` database beside it. The sweep runs in a fresh child process, on a
copy of the seeded database, so the peak RSS it prints is the sweep's own (Django
loaded, digests built and each message built as a mail backend builds it, then dropped, as a
mail server keeps them and the worker does not), not the seeding's. Before timing, the child
loads the site's URL configuration, as a Celery worker does on its first task: an hourly
sweep in a running worker does not import it again (0.3 s of a first sweep). Prints seconds (and CPU
seconds, which a busy machine inflates less), queries and peak RSS of the sweep and of a second
sweep in the same hour (which finds nothing to send); exits 1 when over target. Targets: <= 3 s, one status write per recipient and none per item (the digests' lines
are inserted fifty digests at a time), and peak RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

import common
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

SECONDS_TARGET = 3.0
RSS_TARGET_MB = 150
NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
ZONES = {  # the local hour at NOW in each zone: everyone's chosen hour has come
    name: NOW.astimezone(zoneinfo.ZoneInfo(name)).hour
    for name in ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
}


class SentMail(BaseEmailBackend):
    """Builds each message as Django's backends do, and keeps only its number of item links
    in `mail.outbox`: the worker does not keep what it sent, and its memory is measured."""

    def send_messages(self, messages: list) -> int:
        for message in messages:
            message.message()
            mail.outbox.append(message.body.count("/actions/"))
        return len(messages)


def setup_django(database_url: str, *, migrate: bool = False) -> None:
    # As in production: DEBUG off (template debugging and query logging cost time).
    os.environ.setdefault("DEBUG", "false")
    os.environ["EMAIL_BACKEND"] = "bench_reminders.SentMail"
    common.setup_django(database_url, migrate=migrate)


def seed(items: int, owners: int, overdue: int, chunk: int = 5_000) -> None:
    from django.contrib.auth import get_user_model

    from actions.models import ActionItem, ReminderPreference
    from postmortems.models import Postmortem

    rng = random.Random(7)
    today = NOW.date()
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"owner{n}", email=f"owner{n}@example.com", first_name=f"Owner {n}")
        for n in range(owners)
    )
    people = list(User.objects.order_by("id").values_list("id", flat=True))
    preferences = []
    for user_id in people:
        zone = rng.choice(list(ZONES))
        preferences.append(
            ReminderPreference(user_id=user_id, time_zone=zone, hour=rng.randint(0, ZONES[zone]))
        )
    ReminderPreference.objects.bulk_create(preferences)
    Postmortem.objects.bulk_create(
        Postmortem(title=f"Incident {n}", owner_id=people[n % owners], severity=3)
        for n in range(owners * 2)
    )
    # A few SEV1 drafts a week past their review deadline.
    Postmortem.objects.bulk_create(
        Postmortem(
            title=f"Late draft {n}",
            owner_id=rng.choice(people),
            severity=1,
            resolved_at=NOW - timedelta(days=7),
        )
        for n in range(50)
    )
    postmortems = list(Postmortem.objects.values_list("id", flat=True))
    due_soon = items // 50
    for start in range(0, items, chunk):
        batch = []
        for n in range(start, min(start + chunk, items)):
            if n < overdue:
                due = today - timedelta(days=rng.randint(1, 30))
            elif n < overdue + due_soon:
                due = today + timedelta(days=rng.randint(0, 2))
            else:
                due = today + timedelta(days=rng.randint(3, 180))
            batch.append(
                ActionItem(
                    title=f"Action item {n}: alert on queue lag",
                    owner_id=people[n % owners],
                    postmortem_id=rng.choice(postmortems),
                    due_date=due,
                    # Announced the day it fell due (webhooks), as on a site swept daily.
                    overdue_announced_for=due if n < overdue else None,
                )
            )
        ActionItem.objects.bulk_create(batch)


def sweep_once() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actions.reminders import reminders_send

    mail.outbox = []  # the item links of each message SentMail "sent"
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        sweep = reminders_send(now=NOW)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(mail.outbox) == sweep.sent, (len(mail.outbox), sweep.sent)
    return {
        "seconds": round(seconds, 3),
        "cpu": round(cpu, 3),
        "queries": len(queries),
        "due": sweep.due,
        "sent": sweep.sent,
        "failed": sweep.failed,
        "links": sum(mail.outbox),
        "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
    }


def peak_rss_kb() -> int:
    """This process's peak memory. Linux's VmHWM, where it exists: getrusage's maximum carries
    the parent's size over into a child it spawns, so under `make bench` it read the bench's
    own memory whenever that was the greater."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=1_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--sweep-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.sweep_only:
        setup_django(args.database_url)
        from django.urls import reverse

        reverse("actions:preferences")  # a running worker has loaded the URLs (see above)
        print(json.dumps([sweep_once(), sweep_once()]))
        return 0

    # Never seed the database the URL names: a throwaway one beside it, dropped afterwards.
    with common.throwaway_database(args.database_url) as database_url:
        return bench(args, database_url)


def _sweep_in_child(database_url: str) -> list[dict]:
    child = subprocess.run(
        [sys.executable, __file__, "--sweep-only", "--database-url", database_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if child.returncode:
        raise RuntimeError(f"the sweep failed:\n{child.stdout}\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def measure(database_url: str) -> dict:
    """The sweep of a seeded database, then the same hour again, on a copy left as it was."""
    with common.database_copy(database_url, "sweep") as url:
        first, again = _sweep_in_child(url)
    return {**first, "same_hour_again": again}


def bench(args, database_url: str) -> int:
    setup_django(database_url, migrate=True)
    started = time.perf_counter()
    seed(args.items, args.owners, args.overdue)
    print(f"database: {database_url}")
    print(
        f"seeded {args.items:,} items ({args.overdue:,} overdue) across {args.owners:,} owners "
        f"in {time.perf_counter() - started:.1f} s"
    )
    first = measure(database_url)
    second = first["same_hour_again"]
    for label, run in (("sweep", first), ("same hour again", second)):
        print(
            f"{label:>16}: {run['seconds']:.2f} s ({run['cpu']:.2f} s CPU), {run['queries']} queries, "
            f"{run['due']} due, {run['sent']} sent, {run['failed']} failed, "
            f"{run['links']:,} item links, peak RSS {run['peak_rss_mb']} MB"
        )
    over = []
    if first["seconds"] > SECONDS_TARGET:
        over.append(f"took {first['seconds']} s (target <= {SECONDS_TARGET} s)")
    if first["peak_rss_mb"] > RSS_TARGET_MB:
        over.append(f"peak RSS {first['peak_rss_mb']} MB (target <= {RSS_TARGET_MB} MB)")
    if first["sent"] != args.owners or first["failed"] or second["sent"]:
        over.append("not exactly one digest per owner")
    for problem in over:
        print(f"OVER TARGET: {problem}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
