"""What the benchmarks share: a throwaway database, Django set up on it, and timing."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def temporary_sqlite_url() -> str:
    folder = tempfile.mkdtemp(prefix="debrief-bench-")
    return f"sqlite:///{folder}/bench.sqlite3"


@contextmanager
def throwaway_database(database_url: str | None) -> Iterator[str]:
    """A new, empty database for one run, removed afterwards.

    With no URL, a temporary SQLite file. With a PostgreSQL URL, a database named after it
    with a `_bench` suffix on the same server, so the one the URL names is never touched.
    """
    if not database_url or database_url.startswith("sqlite"):
        url = temporary_sqlite_url()
        try:
            yield url
        finally:
            path = Path(urlsplit(url).path)
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink()
            path.parent.rmdir()
        return
    import psycopg

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/') or 'debrief'}_bench"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(database_url, autocommit=True) as admin:
        # A run killed half-way leaves its database behind; start from nothing.
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_copy(database_url: str, suffix: str) -> Iterator[str]:
    """A copy of a seeded database for a run that changes it (a sweep), removed afterwards."""
    from django.db import connections

    connections.close_all()  # all written out; PostgreSQL copies only a database nobody uses
    parts = urlsplit(database_url)
    if database_url.startswith("sqlite"):
        path = Path("/" + parts.path.lstrip("/"))
        copy = path.with_name(f"{path.stem}_{suffix}{path.suffix}")
        shutil.copyfile(path, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            copy.unlink()
        return
    import psycopg

    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_{suffix}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}_{suffix}" TEMPLATE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}_{suffix}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}_{suffix}" WITH (FORCE)')


def setup_django(
    database_url: str, *, settings: str = "bench.settings", migrate: bool = True
) -> None:
    """Django on `database_url`, with production settings unless DEBUG is set (see settings.py)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def p95(timings: list[float]) -> float:
    if len(timings) < 2:  # one run: its own time is the 95th percentile
        return max(timings)
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


def measure_page(client, url: str, runs: int, *, cold: bool = False) -> dict:
    """Server time of `url` through the test client (median and p95 in ms), queries, HTML size.

    `cold` empties the cache before each request: the page as first drawn after a change,
    rather than kept from the request before.
    """
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sizes = []

    def timed_get() -> float:
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        sizes.append(len(response.content))
        return elapsed

    timed_get(), timed_get()  # warm up: template loading, first-use caches
    timings = [timed_get() for _ in range(runs)]
    with CaptureQueriesContext(connection) as queries:
        timed_get()
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(p95(timings), 1),
        "queries": len(queries.captured_queries),
        "html_kb": round(max(sizes) / 1024),
        "runs": runs,
    }
