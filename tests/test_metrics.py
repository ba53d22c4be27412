import csv
import io
import os
import random
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, Status
from postmortems.models import Postmortem, TimelineEvent
from reporting import charts as metrics
from reporting import page
from reporting.filters import Filters
from reporting.forms import default_period
from reporting.repeats import repeat_factors
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # a Monday
HALF_YEAR = Filters(start=date(2026, 1, 1), end=date(2026, 6, 15))


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _owner():
    # One person owns everything: hashing a password per factory user is slow.
    return get_user_model().objects.filter(username="owner").first() or UserFactory(
        username="owner"
    )


def _at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _incident(
    day: str, *, severity=3, services=(), detect=None, mitigate=None, resolve=None, team=None
):
    start = _at(day, 14)

    def later(minutes):
        return None if minutes is None else start + timedelta(minutes=minutes)

    postmortem = PostmortemFactory(
        owner=_owner(),
        started_at=start,
        severity=severity,
        detected_at=later(detect),
        mitigated_at=later(mitigate),
        resolved_at=later(resolve),
        team=team,
    )
    postmortem.services.add(*services)
    return postmortem


def _row(chart, label):
    return next(row for row in chart.rows if row[0] == label)


def test_incidents_are_counted_per_month_and_severity():
    _incident("2026-03-02", severity=1)
    _incident("2026-03-20", severity=2)
    _incident("2026-03-25", severity=2)
    _incident("2026-05-10", severity=3)
    _incident("2025-12-31", severity=1)  # before the period
    chart = metrics.incidents_by_month(HALF_YEAR, metrics.incident_figures(HALF_YEAR))
    assert [row[0] for row in chart.rows] == [date(2026, m, 1) for m in range(1, 7)]
    assert _row(chart, date(2026, 3, 1)) == [date(2026, 3, 1), 1, 2, 0, 0]
    assert _row(chart, date(2026, 5, 1)) == [date(2026, 5, 1), 0, 0, 1, 0]
    assert _row(chart, date(2026, 4, 1)) == [date(2026, 4, 1), 0, 0, 0, 0]


def test_filters_narrow_incidents_by_service_team_and_severity():
    payments, discovery = (
        TeamFactory(display_name="Payments"),
        TeamFactory(display_name="Discovery"),
    )
    checkout = ServiceFactory(name="checkout", team=payments)
    search = ServiceFactory(name="search", team=discovery)
    _incident("2026-03-02", severity=1, services=[checkout, search])
    _incident("2026-03-03", severity=2, services=[search])
    _incident("2026-03-04", severity=2)
    march = date(2026, 3, 1)

    def counts(**narrowing):
        filters = Filters(start=HALF_YEAR.start, end=HALF_YEAR.end, **narrowing)
        return _row(metrics.incidents_by_month(filters, metrics.incident_figures(filters)), march)[
            1:
        ]

    assert counts() == [1, 2, 0, 0]
    assert counts(service=search) == [1, 1, 0, 0], "an incident on two services counts once"
    assert counts(team=payments) == [1, 0, 0, 0]
    assert counts(severity=2) == [0, 2, 0, 0]
    assert counts(service=checkout, severity=2) == [0, 0, 0, 0]


def test_a_teams_incidents_are_those_it_owns_else_those_of_its_services():
    payments, discovery = (
        TeamFactory(display_name="Payments"),
        TeamFactory(display_name="Discovery"),
    )
    search = ServiceFactory(name="search", team=discovery)
    _incident("2026-03-02", severity=1, services=[search])  # no owner: its service's team
    _incident("2026-03-03", severity=2, services=[search], team=payments)  # owned by Payments
    _incident("2026-03-04", severity=3, team=payments)  # owned, of no service
    march = date(2026, 3, 1)

    def counts(team):
        filters = Filters(start=HALF_YEAR.start, end=HALF_YEAR.end, team=team)
        return _row(metrics.incidents_by_month(filters, metrics.incident_figures(filters)), march)[
            1:
        ]

    assert counts(payments) == [0, 1, 1, 0]
    assert counts(discovery) == [1, 0, 0, 0], "an incident owned by another team is not its"


def test_the_metrics_page_filters_by_a_teams_slug(author_client):
    payments = TeamFactory(display_name="Payments")
    _incident(timezone.localdate().isoformat(), severity=1, team=payments)
    _incident(timezone.localdate().isoformat(), severity=2)
    response = author_client.get(reverse("metrics:index"), {"team": "payments"})
    assert response.status_code == 200
    assert response.context["incident_count"] == 1
    unknown = author_client.get(reverse("metrics:index"), {"team": "no-such-team"})
    assert unknown.status_code == 200
    assert "team" in unknown.context["form"].errors


def test_median_and_p90_times_to_detect_mitigate_and_resolve_per_month():
    _incident("2026-03-02", detect=4, mitigate=41, resolve=75)
    _incident("2026-03-20", detect=10, mitigate=60, resolve=120)
    _incident("2026-03-25", detect=30, mitigate=90, resolve=300)
    _incident("2026-03-26", detect=None, mitigate=None, resolve=None)  # not measured
    _incident("2026-05-10", detect=2, mitigate=20, resolve=30)
    chart = metrics.response_times(HALF_YEAR, metrics.incident_figures(HALF_YEAR))
    assert chart.columns[1:3] == ["Time to detect, median", "Time to detect, p90"]
    assert _row(chart, date(2026, 3, 1))[1:] == [10.0, 26.0, 60.0, 84.0, 120.0, 264.0]
    assert _row(chart, date(2026, 5, 1))[1:] == [2.0, 2.0, 20.0, 20.0, 30.0, 30.0]
    assert _row(chart, date(2026, 4, 1))[1:] == [None] * 6


def test_a_time_before_impact_started_is_left_out_of_the_percentiles():
    postmortem = _incident("2026-03-02", detect=10, mitigate=20, resolve=30)
    postmortem.detected_at = postmortem.started_at - timedelta(minutes=5)
    postmortem.save()
    assert _row(
        metrics.response_times(HALF_YEAR, metrics.incident_figures(HALF_YEAR)), date(2026, 3, 1)
    )[1:3] == [None, None]


def test_percentiles_interpolate_like_percentile_cont():
    for minutes in (4, 1, 3, 2):
        _incident("2026-03-02", detect=minutes)
    assert _row(
        metrics.response_times(HALF_YEAR, metrics.incident_figures(HALF_YEAR)), date(2026, 3, 1)
    )[1:3] == [2.5, 3.7]


def test_the_budget_chart_shows_each_services_current_window():
    platform = TeamFactory(display_name="Platform")
    checkout = ServiceFactory(
        name="checkout", slo_target=Decimal("99.9"), window_days=30, team=platform
    )
    search = ServiceFactory(
        name="search", slo_target=Decimal("99.5"), window_days=28, team=platform
    )
    start = NOW - timedelta(days=2)
    incident = PostmortemFactory(
        owner=_owner(), started_at=start, mitigated_at=start + timedelta(minutes=21.6)
    )
    incident.services.add(checkout, search)
    chart = metrics.error_budgets(HALF_YEAR, now=NOW)
    assert chart.rows == [
        ["checkout", "Platform", Decimal("99.9"), 30, Decimal("43.2"), Decimal("21.6"), 50],
        [
            "search",
            "Platform",
            Decimal("99.5"),
            28,
            Decimal("201.6"),
            Decimal("21.6"),
            Decimal("10.7"),
        ],
    ]
    assert chart.spec()["datasets"][0]["data"] == [50.0, 10.7]


def _item(*, created: str, due: str, done: str | None = None, wont_do: str | None = None):
    item = ActionItemFactory(
        due_date=date.fromisoformat(due), owner=_owner(), postmortem=_incident(created)
    )
    fields = {"created_at": _at(created)}
    if done:
        fields |= {"status": Status.DONE, "completed_at": _at(done)}
    if wont_do:
        fields |= {"status": Status.WONT_DO, "reason": "Retired", "updated_at": _at(wont_do)}
    ActionItem.objects.filter(pk=item.pk).update(**fields)
    return item


FOLLOW_UP = Filters(start=date(2026, 5, 4), end=date(2026, 6, 15))


@pytest.fixture
def items():
    _item(created="2026-04-01", due="2026-05-12")  # open, overdue since the week of May 11
    _item(created="2026-04-01", due="2026-05-05", done="2026-05-28")  # late
    _item(created="2026-04-01", due="2026-06-01", done="2026-05-30")  # on time
    _item(created="2026-04-01", due="2026-04-20", wont_do="2026-06-03")  # closed unfinished
    _item(created="2026-06-10", due="2026-06-01")  # created already past due
    _item(created="2026-05-01", due="2026-06-15")  # due today: not overdue yet
    _item(created="2026-05-01", due="2026-05-20", done="2026-05-19")  # on time


def test_open_overdue_items_are_counted_at_the_end_of_each_week_and_now(items):
    chart = metrics.open_overdue(FOLLOW_UP, today=NOW.date())
    assert chart.rows == [
        [date(2026, 5, 10), 2],
        [date(2026, 5, 17), 3],
        [date(2026, 5, 24), 3],
        [date(2026, 5, 31), 2],
        [date(2026, 6, 7), 1],
        [date(2026, 6, 14), 2],
        [date(2026, 6, 15), 2],
    ]


def test_open_overdue_items_match_a_count_at_each_weeks_end():
    # Items created, due and closed on days all around the period, some closed on time.
    rng = random.Random(17)
    for _ in range(60):
        created = date(2026, 4, 1) + timedelta(days=rng.randrange(60))
        due = created + timedelta(days=rng.randrange(-10, 40))
        closed = due + timedelta(days=rng.randrange(-10, 20))
        closed = min(max(closed, created), date(2026, 6, 14))
        how = rng.choice(["done", "wont_do", None])
        _item(created=str(created), due=str(due), **({how: str(closed)} if how else {}))
    chart = metrics.open_overdue(FOLLOW_UP, today=NOW.date())

    def closed_on(item):
        moment = item.completed_at or (item.updated_at if item.status == Status.WONT_DO else None)
        return moment and timezone.localdate(moment)

    expected = []
    for monday in FOLLOW_UP.weeks()[:-1]:  # the current week ends in the future
        sunday = monday + timedelta(days=6)
        count = sum(
            1
            for item in ActionItem.objects.all()
            if item.due_date <= sunday
            and timezone.localdate(item.created_at) <= sunday
            and not (closed_on(item) and closed_on(item) <= sunday)
        )
        expected.append([sunday, count])
    assert chart.rows[:-1] == expected
    assert any(count for _, count in expected)


def test_items_created_and_completed_per_week(items):
    chart = metrics.action_items_weekly(FOLLOW_UP)
    assert chart.rows[0] == [date(2026, 5, 4), 0, 0]
    assert _row(chart, date(2026, 5, 18)) == [date(2026, 5, 18), 0, 1]
    assert _row(chart, date(2026, 5, 25)) == [date(2026, 5, 25), 0, 2]
    assert _row(chart, date(2026, 6, 8)) == [date(2026, 6, 8), 1, 0]


def test_share_done_by_the_due_date_and_median_days_to_close(items):
    chart = metrics.follow_through(FOLLOW_UP, today=NOW.date())
    # May: three items due, one done on time; June (due before today): two due, one on time.
    assert _row(chart, date(2026, 5, 1)) == [date(2026, 5, 1), 3, 1, 33.3, 57.0]
    assert _row(chart, date(2026, 6, 1)) == [date(2026, 6, 1), 2, 1, 50.0, None]
    assert chart.summary == {"due": 5, "on_time": 2, "on_time_share": 40.0, "median_days": 57.0}


def test_factor_categories_count_incidents_and_factors():
    first, second = _incident("2026-02-01"), _incident("2026-03-01")
    ContributingFactorFactory(postmortem=first, category="configuration")
    ContributingFactorFactory(postmortem=first, category="configuration")
    ContributingFactorFactory(postmortem=second, category="configuration")
    ContributingFactorFactory(postmortem=second, category="monitoring")
    ContributingFactorFactory(postmortem=_incident("2025-06-01"), category="monitoring")
    chart = metrics.factor_categories(metrics.incident_factors(HALF_YEAR))
    assert chart.rows == [["Configuration", 2, 3], ["Monitoring gap", 1, 1]]


def test_repeat_factors_are_the_same_category_on_the_same_service_within_90_days():
    checkout, search = ServiceFactory(name="checkout"), ServiceFactory(name="search")

    def incident(day, services, category):
        postmortem = _incident(day, services=services)
        ContributingFactorFactory(postmortem=postmortem, category=category)
        return postmortem

    first = incident("2026-01-10", [checkout], "configuration")
    fifty_days_later = incident("2026-03-01", [checkout], "configuration")
    both = incident("2026-03-03", [checkout, search], "configuration")
    incident("2026-06-10", [checkout], "configuration")  # 99 days after the last one
    search_before = incident("2026-01-15", [search], "configuration")
    incident("2026-03-05", [checkout], "capacity")  # another category
    incident("2026-03-06", [], "configuration")  # no service

    repeats = repeat_factors(HALF_YEAR, metrics.incident_factors(HALF_YEAR))

    found = [(r.service, r.category, r.postmortem_ids) for r in repeats]
    assert found == [
        ("checkout", "Configuration", [first.pk, fifty_days_later.pk, both.pk]),
        ("search", "Configuration", [search_before.pk, both.pk]),
    ]
    assert repeats[0].shown[0]["url"] == first.get_absolute_url()
    assert (repeats[0].first, repeats[0].last) == (date(2026, 1, 10), date(2026, 3, 3))


def test_repeat_factors_ninety_days_apart_to_the_day_compare_times_on_the_readers_clock():
    checkout, search = ServiceFactory(name="checkout"), ServiceFactory(name="search")
    for service, later in ((checkout, _at("2026-04-10", 14)), (search, _at("2026-04-12", 15))):
        for started in (_at(f"2026-01-{later.day}", 14), later):
            postmortem = PostmortemFactory(owner=_owner(), started_at=started)
            postmortem.services.set([service])
            ContributingFactorFactory(postmortem=postmortem, category="configuration")

    def found():
        return [r.service for r in repeat_factors(HALF_YEAR, metrics.incident_factors(HALF_YEAR))]

    # Exactly 90 days apart in UTC; an hour more is too far.
    assert found() == ["checkout"]
    # In Berlin, summer time has begun by April: 90 days and an hour on the clock.
    with timezone.override("Europe/Berlin"):
        assert found() == []


def test_the_page_shows_every_chart_with_its_data_table_and_csv_link(author_client):
    checkout = ServiceFactory(name="checkout")
    _incident("2026-03-02", severity=1, services=[checkout], detect=4, mitigate=41)
    response = author_client.get(reverse("metrics:index"))
    page = response.content.decode()
    for slug in ("incidents", "response-times", "error-budget", "action-items", "overdue"):
        assert f'data-chart="chart-data-{slug}"' in page
        assert f'id="chart-data-{slug}" type="application/json"' in page
        assert f"/metrics/{slug}.csv?" in page
    assert "/metrics/repeats.csv?" in page and "/metrics/factors.csv?" in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert "<script>" not in page, "no inline script"
    assert response.context["form"]["start"].value() == "2025-06-16"  # the last 12 months


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 6, 15), date(2025, 6, 16)),
        (date(2026, 1, 1), date(2025, 1, 2)),
        (date(2028, 2, 29), date(2027, 3, 1)),
    ],
)
def test_the_default_period_is_the_last_twelve_months_up_to_today(today, start):
    assert default_period(today) == (start, today)


def test_a_csv_has_the_charts_columns_and_rows_for_the_same_filters(author_client):
    _incident("2026-03-02", severity=1)
    _incident("2026-03-05", severity=2)
    response = author_client.get(
        reverse("metrics:csv", args=["incidents"]),
        {"start": "2026-02-01", "end": "2026-03-31", "severity": "1"},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="incidents-20260201-20260331.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Month", "SEV1", "SEV2", "SEV3", "SEV4"],
        ["2026-02-01", "0", "0", "0", "0"],
        ["2026-03-01", "1", "0", "0", "0"],
    ]


def test_a_csv_cell_cannot_become_a_spreadsheet_formula(author_client):
    ServiceFactory(name="=HYPERLINK(1)")
    response = author_client.get(reverse("metrics:csv", args=["error-budget"]))
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_bad_filters_get_a_message_and_an_unknown_chart_a_404(author_client):
    response = author_client.get(
        reverse("metrics:index"), {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert "before its start" in response.content.decode()
    assert author_client.get(reverse("metrics:csv", args=["nope"])).status_code == 404
    bad = author_client.get(reverse("metrics:csv", args=["incidents"]), {"start": "x"})
    assert bad.status_code == 400


def _seed(n: int, services, owner) -> None:
    for i in range(n):
        postmortem = _incident(
            f"2026-0{1 + i % 3}-{10 + i % 9}",
            severity=1 + i % 4,
            services=[services[i % len(services)]],
            detect=5 + i,
            mitigate=30 + i,
            resolve=60 + i,
        )
        ContributingFactorFactory(postmortem=postmortem, category="configuration")
        item = ActionItemFactory(postmortem=postmortem, owner=owner)
        if i % 2:
            item.complete(by=owner)


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("metrics:index"), {"start": "2026-01-01"})
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_page_runs_the_same_number_of_queries_for_5_or_60_incidents(author_client, author):
    teams = [TeamFactory(display_name=f"team-{n}") for n in range(2)]
    services = [ServiceFactory(name=f"svc-{n}", team=teams[n % 2]) for n in range(3)]
    _seed(5, services, author)
    author_client.get(reverse("metrics:index"))  # the first request of a session saves it
    few, few_again = _count_queries(author_client), _count_queries(author_client)
    _seed(55, services, author)
    many, many_again = _count_queries(author_client), _count_queries(author_client)
    assert few == many, f"{few} queries for 5 incidents, {many} for 60"
    assert few_again == many_again, "from the cache, as many queries whatever the data"
    # Two of them make the stamp the cache key moves with: one of index lookups, the services.
    # One query per chart: the review quality trend and the recurrence rate are the latest.
    assert many <= 25
    assert many_again <= 8


def test_months_and_due_dates_follow_the_site_time_zone_across_clock_changes(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # 00:30 local on 1 April (summer time) and on 1 November (winter time).
    first_of_april = PostmortemFactory(owner=_owner(), started_at=_at("2026-03-31", 22))
    first_of_april.started_at += timedelta(minutes=30)
    first_of_april.save()
    first_of_november = PostmortemFactory(owner=_owner(), started_at=_at("2025-10-31", 23))
    first_of_november.started_at += timedelta(minutes=30)
    first_of_november.save()
    filters = Filters(start=date(2025, 10, 1), end=date(2026, 4, 30))
    chart = metrics.incidents_by_month(filters, metrics.incident_figures(filters))
    assert {row[0]: sum(row[1:]) for row in chart.rows if sum(row[1:])} == {
        date(2025, 11, 1): 1,
        date(2026, 4, 1): 1,
    }
    # Due on the day the clocks went forward: 23:30 local is on time, 00:30 the next day late.
    for hour in (21, 22):
        item = ActionItemFactory(owner=_owner(), due_date=date(2026, 3, 29))
        item.complete(by=_owner())
        done_at = _at("2026-03-29", hour) + timedelta(minutes=30)
        ActionItem.objects.filter(pk=item.pk).update(completed_at=done_at)
    march = _row(metrics.follow_through(filters, today=NOW.date()), date(2026, 3, 1))
    assert march[1:3] == [2, 1]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01", "end": "0001-02-01"},
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"start": "2020-01-01", "end": "2026-06-01"},
        {"service": "99999999999999999999999"},
        {"severity": "9"},
    ],
)
def test_out_of_range_filters_get_a_message_not_an_error(author_client, query):
    response = author_client.get(reverse("metrics:index"), query)
    assert response.status_code == 200
    assert response.context["form"].errors


def test_restricted_postmortems_count_only_for_those_who_may_read_them(
    author, outsider, admin_user
):
    checkout = ServiceFactory(name="checkout")
    secret = _incident("2026-03-02", services=[checkout])
    secret.restricted = True
    secret.save()
    secret.allowed_users.add(outsider)
    ContributingFactorFactory(postmortem=secret, category="configuration")
    _incident("2026-03-20", services=[checkout])
    ActionItemFactory(postmortem=secret, owner=_owner(), due_date=date(2026, 3, 9))
    ActionItemFactory(postmortem=secret, owner=author, due_date=date(2026, 3, 9))

    def seen(viewer):
        filters = Filters(start=HALF_YEAR.start, end=HALF_YEAR.end, viewer=viewer)
        incidents = sum(
            _row(
                metrics.incidents_by_month(filters, metrics.incident_figures(filters)),
                date(2026, 3, 1),
            )[1:]
        )
        due = _row(metrics.follow_through(filters, today=NOW.date()), date(2026, 3, 1))[1]
        factors = metrics.factor_categories(metrics.incident_factors(filters)).rows
        return incidents, due, factors

    assert seen(outsider) == (2, 2, [["Configuration", 1, 1]]), "allowed in by name"
    assert seen(admin_user) == (2, 2, [["Configuration", 1, 1]])
    assert seen(author) == (1, 1, []), "only the item they own, not the postmortem"
    stranger = UserFactory(username="stranger")
    assert seen(stranger) == (1, 0, [])


# The cache: the charts are kept, under a key that moves with the data and the viewer.


def _stats(client, **query) -> dict[str, str]:
    """The figures at the top of the page, as a reader sees them."""
    page = client.get(reverse("metrics:index"), query).content.decode()
    return dict(re.findall(r'data-stat="([\w-]+)">([^<]*)<', page))


def test_a_cached_page_shows_a_new_postmortem_on_the_next_view(author_client):
    _incident("2026-03-02")
    assert _stats(author_client)["incidents"] == "1"
    assert _stats(author_client)["incidents"] == "1"
    _incident("2026-03-03")
    assert _stats(author_client)["incidents"] == "2"


def test_a_cached_page_leaves_out_a_deleted_postmortem_on_the_next_view(author_client):
    _incident("2026-03-02")
    doomed = _incident("2026-03-03")
    assert _stats(author_client)["incidents"] == "2"
    doomed.delete()
    assert _stats(author_client)["incidents"] == "1"


def test_a_cached_page_shows_an_item_closed_since(author_client, author):
    item = ActionItemFactory(postmortem=_incident("2026-03-02"), owner=author)
    ActionItem.objects.filter(pk=item.pk).update(created_at=_at("2026-06-05"))
    assert _stats(author_client)["days-to-close"] == "—"
    item.complete(by=author)
    assert _stats(author_client)["days-to-close"] == "10.5"


def test_a_cached_csv_shows_a_factor_edited_since(author_client):
    factor = ContributingFactorFactory(postmortem=_incident("2026-03-02"), category="capacity")

    def categories():
        response = author_client.get(reverse("metrics:csv", args=["factors"]))
        return [row[0] for row in csv.reader(io.StringIO(response.content.decode()))][1:]

    author_client.get(reverse("metrics:index"))  # the page fills the cache the CSV reads
    assert categories() == ["Capacity"]
    factor.category = "tooling"
    factor.save()
    assert categories() == ["Tooling"]


def test_a_cached_page_shows_rows_added_in_bulk_and_services_edited_since(author_client):
    checkout = ServiceFactory(name="checkout", window_days=30)
    incident = _incident("2026-06-14", services=[checkout], mitigate=60)
    assert _stats(author_client)["incidents"] == "1"
    Postmortem.objects.bulk_create([Postmortem(title="Imported", owner=_owner())])
    assert _stats(author_client)["incidents"] == "2"
    TimelineEvent.objects.bulk_create(
        [TimelineEvent(postmortem=incident, kind="impact_end", occurred_at=_at("2026-06-14", 17))]
    )
    budget = author_client.get(reverse("metrics:index")).context["charts"]["error-budget"]
    assert budget.rows[0][5] == Decimal("180.0"), "impact now ends at the bulk-added event"
    checkout.window_days = 28
    checkout.save()
    budget = author_client.get(reverse("metrics:index")).context["charts"]["error-budget"]
    assert budget.rows[0][3] == 28


def test_a_cached_page_shows_an_update_that_sets_updated_at(author_client, author):
    item = ActionItemFactory(postmortem=_incident("2026-03-02"), owner=author)
    ActionItem.objects.filter(pk=item.pk).update(created_at=_at("2026-06-05"))
    assert _stats(author_client)["days-to-close"] == "—"
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        # As a bulk change would: no save(), no history; only updated_at moves.
        ActionItem.objects.filter(pk=item.pk).update(
            status=Status.DONE, completed_at=NOW, updated_at=timezone.now()
        )
        assert _stats(author_client)["days-to-close"] == "10.5"


def test_a_cached_page_leaves_out_items_deleted_in_bulk(author_client, author):
    postmortem = _incident("2026-03-02")
    for _ in range(2):
        ActionItemFactory(postmortem=postmortem, owner=author, due_date=date(2026, 3, 9))
    assert _stats(author_client)["on-time"] == "0.0%"
    ActionItem.objects.filter(postmortem=postmortem).delete()
    assert _stats(author_client)["on-time"] == "—"


def test_with_redis_every_process_reads_the_same_cache(redis_url):
    def run(code: str, **env) -> str:
        environment = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        environment |= {"DEBUG": "true", **env}
        command = [sys.executable, "manage.py", "shell", "--no-imports", "-c", code]
        done = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    key = f"test-shared-{os.getpid()}"
    run(f"from django.core.cache import cache; cache.set({key!r}, 'kept', 60)", REDIS_URL=redis_url)
    read = f"from django.core.cache import cache; print(cache.get({key!r}, 'missing'))"
    assert run(read, REDIS_URL=redis_url) == "kept"
    assert run(read) == "missing", "without Redis, each process keeps its own"


def test_a_cached_page_follows_services_unlinked_since(author_client):
    checkout = ServiceFactory(name="checkout")
    unlinked = _incident("2026-03-02", services=[checkout])
    _incident("2026-03-03", services=[checkout])
    assert _stats(author_client, service=checkout.pk)["incidents"] == "2"
    unlinked.services.remove(checkout)
    assert _stats(author_client, service=checkout.pk)["incidents"] == "1"


def test_the_cache_keeps_each_viewers_restricted_postmortems_apart(client, outsider):
    secret = _incident("2026-03-02")
    secret.restricted = True
    secret.save()
    secret.allowed_users.add(outsider)
    _incident("2026-03-20")
    stranger = UserFactory(username="stranger")
    for viewer, seen in [(outsider, "2"), (stranger, "1"), (outsider, "2"), (stranger, "1")]:
        client.force_login(viewer)
        assert _stats(client)["incidents"] == seen, viewer.username
    secret.allowed_users.remove(outsider)
    client.force_login(outsider)
    assert _stats(client)["incidents"] == "1", "let out of the postmortem since"


def _overdue_now(client, user, moment: datetime) -> list:
    with time_machine.travel(moment, tick=False):
        client.force_login(user)  # sessions last half a day
        # A fixed period, the same key but for the day.
        page = client.get(reverse("metrics:index"), {"start": "2026-06-01", "end": "2026-06-30"})
        return page.context["charts"]["overdue"].rows[-1]


def test_the_cached_charts_expire_within_minutes(author_client, author, settings):
    # Redis expires keys on its own clock, which time-machine cannot move.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    item = ActionItemFactory(postmortem=_incident("2026-03-02"), owner=author)
    ActionItem.objects.filter(pk=item.pk).update(due_date=date(2026, 6, 15))
    assert _overdue_now(author_client, author, NOW) == [date(2026, 6, 15), 0]
    # Written behind the models' back, which moves nothing the key is made of.
    ActionItem.objects.filter(pk=item.pk).update(due_date=date(2026, 6, 14))
    later = NOW + timedelta(seconds=page.CACHE_SECONDS)
    assert _overdue_now(author_client, author, later) == [date(2026, 6, 15), 1]


def test_the_cached_charts_are_not_served_the_next_day(author_client, author):
    item = ActionItemFactory(postmortem=_incident("2026-03-02"), owner=author)
    ActionItem.objects.filter(pk=item.pk).update(due_date=date(2026, 6, 15))
    before_midnight = datetime(2026, 6, 15, 23, 58, tzinfo=UTC)
    assert _overdue_now(author_client, author, before_midnight) == [date(2026, 6, 15), 0]
    after_midnight = before_midnight + timedelta(minutes=3)
    assert _overdue_now(author_client, author, after_midnight) == [date(2026, 6, 16), 1]
