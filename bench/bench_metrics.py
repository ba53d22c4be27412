"""Time /metrics/ on a throwaway database of N postmortems (default 10,000).

Usage: .venv/bin/python bench/bench_metrics.py [N] [--years 3] [--runs 30]
       [--database-url URL]

Without --database-url it migrates a temporary SQLite file. The incidents are spread over the
last `--years` years; "all N" views choose a period that holds every one of them (with
--years 1 the default view does too). Prints the median and p95 time of each view and its
number of queries, cold (the cache emptied before each request: the charts computed) and
warm (the charts from the cache). Targets on PostgreSQL: cold ≤ 250 ms median and ≤ 300 ms
p95; warm ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from urllib.parse import urlsplit

import common


def seed(n: int, years: float):
    """bench/seed.py's postmortems, two action items each, spread over `years`."""
    from django.contrib.auth import get_user_model
    from seed import seed_site

    from services.models import Service

    seed_site(postmortems=n, action_items=2 * n, users=max(10, n // 10), years=years)
    return get_user_model().objects.order_by("pk").first(), list(Service.objects.all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    # Never seed the database the URL names: a throwaway one beside it, dropped afterwards.
    with common.throwaway_database(args.database_url) as database_url:
        print(f"database: {database_url}")
        common.setup_django(database_url)
        run(args)


def run(args) -> None:
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
    print(f"{'view':38} {'':5} {'median':>9} {'p95':>9} {'queries':>8}")
    for label, url in views.items():
        for cache in ("cold", "warm"):
            row = measure(client, url, args.runs, cold=cache == "cold")
            print(
                f"{label:38} {cache:5} {row['median_ms']:7.1f}ms {row['p95_ms']:7.1f}ms "
                f"{row['queries']:8d}"
            )


def measure(client, url: str, runs: int, *, cold: bool) -> dict:
    if not cold and url.startswith("/metrics/"):
        # A CSV comes from the charts its page keeps: the page first, as a reader would.
        client.get("/metrics/?" + urlsplit(url).query)
    return common.measure_page(client, url, runs, cold=cold)


if __name__ == "__main__":
    main()
