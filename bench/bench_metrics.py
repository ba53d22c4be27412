"""Time /metrics/ on a throwaway database of N postmortems (default 10,000).

Usage: DEBUG=true .venv/bin/python bench/bench_metrics.py [N] [--years 3] [--runs 30]
       [--database-url URL]

Without --database-url it migrates a temporary SQLite file. The incidents are spread over the
last `--years` years; "all N" views choose a period that holds every one of them (with
--years 1 the default view does too). Prints the median and p95 time of each view and its
number of queries. Target: < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SERVICES = 20
TEAMS = ["Payments", "Discovery", "Identity", "Platform", "Growth"]
CATEGORIES = [
    "change",
    "configuration",
    "capacity",
    "dependency",
    "monitoring",
    "process",
    "tooling",
    "communication",
    "other",
]


def setup_django(database_url: str | None) -> None:
    if database_url is None:
        folder = tempfile.mkdtemp(prefix="debrief-bench-")
        database_url = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"database: {database_url}")


def seed(n: int, years: float, seed_value: int = 7):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from actions.models import ActionItem
    from postmortems.models import ContributingFactor, Postmortem, TimelineEvent
    from services.models import Service

    rng = random.Random(seed_value)
    now = timezone.now()
    user, _ = get_user_model().objects.get_or_create(username="bench")
    services = Service.objects.bulk_create(
        Service(
            name=f"service-{i:02d}",
            team=TEAMS[i % len(TEAMS)],
            slo_target=rng.choice(["99.9", "99.95", "99.5", "99.99"]),
            window_days=rng.choice([28, 30]),
        )
        for i in range(SERVICES)
    )
    # Backdated creation times: switch auto_now_add off while seeding.
    for model in (Postmortem, ActionItem):
        model._meta.get_field("created_at").auto_now_add = False
    postmortems = []
    for i in range(n):
        start = now - timedelta(minutes=rng.randint(60, int(years * 360 * 24 * 60)))
        detect = rng.randint(1, 60)
        mitigate = detect + rng.randint(5, 240)
        postmortems.append(
            Postmortem(
                title=f"Incident {i}",
                severity=rng.choice([1, 2, 2, 3, 3, 3, 4]),
                status="published",
                owner=user,
                time_zone="UTC",
                started_at=start,
                detected_at=start + timedelta(minutes=detect),
                mitigated_at=start + timedelta(minutes=mitigate),
                resolved_at=start + timedelta(minutes=mitigate + rng.randint(10, 600)),
                created_at=start + timedelta(days=1),
            )
        )
    postmortems = Postmortem.objects.bulk_create(postmortems, batch_size=1000)
    Link = Postmortem.services.through
    links, events, factors, items = [], [], [], []
    for pm in postmortems:
        for service in rng.sample(services, rng.choice([1, 1, 2])):
            links.append(Link(postmortem_id=pm.pk, service_id=service.pk))
        events.append(TimelineEvent(postmortem=pm, occurred_at=pm.started_at, kind="impact_start"))
        events.append(TimelineEvent(postmortem=pm, occurred_at=pm.detected_at, kind="detection"))
        if rng.random() < 0.3:
            end = pm.mitigated_at + timedelta(minutes=rng.randint(0, 30))
            events.append(TimelineEvent(postmortem=pm, occurred_at=end, kind="impact_end"))
        for category in rng.sample(CATEGORIES, rng.randint(1, 3)):
            factors.append(ContributingFactor(postmortem=pm, category=category, description="x"))
        for _ in range(2):
            created = pm.started_at + timedelta(days=rng.randint(1, 5))
            due = (created + timedelta(days=rng.choice([28, 56, 90]))).date()
            done_at = created + timedelta(days=rng.randint(3, 120))
            done = done_at < now and rng.random() < 0.7
            items.append(
                ActionItem(
                    postmortem=pm,
                    title="Follow up",
                    owner=user,
                    created_by=user,
                    due_date=due,
                    status="done" if done else "open",
                    completed_at=done_at if done else None,
                    created_at=created,
                )
            )
    Link.objects.bulk_create(links, batch_size=2000)
    TimelineEvent.objects.bulk_create(events, batch_size=2000)
    ContributingFactor.objects.bulk_create(factors, batch_size=2000)
    ActionItem.objects.bulk_create(items, batch_size=2000)
    print(
        f"seeded {n} postmortems, {len(links)} service links, {len(events)} events, "
        f"{len(factors)} factors, {len(items)} action items"
    )
    return user, services


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[-1]
    return statistics.median(timings), p95, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.test import Client
    from django.utils import timezone

    started = time.perf_counter()
    user, services = seed(args.n, args.years)
    print(f"seeding took {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(user)
    today = timezone.localdate()
    everything = f"start={today - timedelta(days=int(args.years * 366) + 1)}"
    views = {
        "/metrics/ (last 12 months)": "/metrics/",
        f"/metrics/ all {args.n}": f"/metrics/?{everything}",
        f"/metrics/ all {args.n}, one service": f"/metrics/?{everything}&service={services[0].pk}",
        f"/metrics/ all {args.n}, SEV2": f"/metrics/?{everything}&severity=2",
        "/metrics/repeats.csv (all)": f"/metrics/repeats.csv?{everything}",
        "/services/": "/services/",
    }
    print(f"{'view':38} {'median':>9} {'p95':>9} {'queries':>8}")
    for label, url in views.items():
        median, p95, queries = measure(client, url, args.runs)
        print(f"{label:38} {median:7.1f}ms {p95:7.1f}ms {queries:8d}")


if __name__ == "__main__":
    main()
