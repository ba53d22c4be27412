from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.template import Context, Template

from postmortems.models import Postmortem, TimelineEvent
from reporting.budgets import service_budgets
from services.models import Service
from tests.factories import PostmortemFactory, ServiceFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_the_issues_example_21_6_minutes_at_99_9_over_30_days_is_half_the_budget():
    service = Service(name="api", slo_target=Decimal("99.9"), window_days=30)
    assert service.budget_minutes == Decimal("43.2")
    assert service.budget_consumed(21.6) == Decimal("50.0")


def test_budget_scales_with_target_and_window():
    service = Service(name="indexer", slo_target=Decimal("99.5"), window_days=28)
    assert service.budget_minutes == Decimal("201.6")
    assert service.budget_consumed(403.2) == Decimal("200.0")
    assert service.budget_consumed(0) == Decimal("0.0")


@pytest.mark.parametrize("target", ["0", "100", "100.5", "-1"])
def test_an_slo_target_must_be_between_0_and_100(target):
    service = Service(name="api", slo_target=Decimal(target))
    with pytest.raises(ValidationError) as error:
        service.full_clean()
    assert "slo_target" in error.value.message_dict


def test_the_database_refuses_an_impossible_target():
    with pytest.raises(IntegrityError):
        Service.objects.create(name="api", slo_target=Decimal("100"))


def test_service_names_are_unique_whatever_their_case():
    ServiceFactory(name="Checkout")
    with pytest.raises(IntegrityError):
        Service.objects.create(name="checkout")


def test_named_finds_services_case_insensitively_and_creates_the_rest():
    checkout = ServiceFactory(name="Checkout")
    found = Service.objects.named(["checkout", "Search"])
    assert found[0] == checkout
    assert found[1].name == "Search" and found[1].slo_target == Decimal("99.900")
    assert found[1].window_days == 30


def _impact(postmortem: Postmortem) -> timedelta | None:
    return Postmortem.objects.get(pk=postmortem.pk).impact_duration


def test_impact_runs_from_impact_started_to_mitigated_without_events():
    postmortem = PostmortemFactory(started_at=START, mitigated_at=START + _minutes(47))
    assert _impact(postmortem) == _minutes(47)


def test_an_impact_end_event_ends_the_impact_before_mitigation():
    postmortem = PostmortemFactory(started_at=START, mitigated_at=START + _minutes(47))
    TimelineEventFactory(
        postmortem=postmortem,
        kind=TimelineEvent.Kind.IMPACT_END,
        occurred_at=START + _minutes(30),
    )
    assert _impact(postmortem) == _minutes(30)


def test_impact_runs_from_the_first_start_event_to_the_last_end_event():
    postmortem = PostmortemFactory(started_at=START, mitigated_at=START + _minutes(90))
    for minutes, kind in [(5, "impact_start"), (10, "impact_start"), (20, "impact_end")]:
        TimelineEventFactory(
            postmortem=postmortem, kind=kind, occurred_at=START + _minutes(minutes)
        )
    TimelineEventFactory(postmortem=postmortem, kind="impact_end", occurred_at=START + _minutes(40))
    assert _impact(postmortem) == _minutes(35)


def test_impact_is_unknown_without_an_end_or_when_the_end_comes_first():
    assert _impact(PostmortemFactory(started_at=START, mitigated_at=None)) is None
    backwards = PostmortemFactory(started_at=START, mitigated_at=START - _minutes(5))
    assert _impact(backwards) is None


def test_the_current_window_counts_only_impact_inside_it():
    checkout = ServiceFactory(name="checkout", slo_target=Decimal("99.9"), window_days=30)
    window_start = NOW - timedelta(days=30)
    inside = PostmortemFactory(started_at=NOW - timedelta(days=14))
    inside.mitigated_at = inside.started_at + _minutes(21.6)
    inside.save()
    straddling = PostmortemFactory(
        started_at=window_start - _minutes(10), mitigated_at=window_start + _minutes(10)
    )
    before = PostmortemFactory(
        started_at=window_start - timedelta(days=3),
        mitigated_at=window_start - timedelta(days=3) + _minutes(60),
    )
    ongoing = PostmortemFactory(started_at=NOW - timedelta(days=1), mitigated_at=None)
    for postmortem in (inside, straddling, before, ongoing):
        postmortem.services.add(checkout)
    (budget,) = service_budgets([checkout], now=NOW, viewer=None)
    assert budget.impact_minutes == Decimal("31.6")
    assert budget.consumed == Decimal("73.1")
    assert budget.remaining_minutes == Decimal("11.6")


def test_each_service_uses_its_own_window_in_the_same_query(django_assert_num_queries):
    short = ServiceFactory(name="short", window_days=7)
    long = ServiceFactory(name="long", window_days=30)
    ten_days_ago = PostmortemFactory(
        started_at=NOW - timedelta(days=10), mitigated_at=NOW - timedelta(days=10) + _minutes(20)
    )
    ten_days_ago.services.add(short, long)
    with django_assert_num_queries(1):
        budgets = service_budgets([short, long], now=NOW, viewer=None)
    assert [b.impact_minutes for b in budgets] == [Decimal("0.0"), Decimal("20.0")]


@time_machine.travel(NOW, tick=False)
def test_the_postmortem_budget_partial_needs_only_the_postmortem():
    checkout = ServiceFactory(name="checkout", slo_target=Decimal("99.9"), window_days=30)
    payments = ServiceFactory(name="payments", slo_target=Decimal("99.99"), window_days=30)
    postmortem = PostmortemFactory(started_at=START, mitigated_at=START + _minutes(21.6))
    postmortem.services.add(checkout, payments)
    html = Template('{% include "reporting/includes/postmortem_budget.html" %}').render(
        Context({"postmortem": postmortem})
    )
    assert "21 min" in html
    assert 'data-budget="checkout">50.0%' in html
    assert 'data-budget="payments">500.0%' in html
    assert "bg-danger" in html


def test_the_partial_asks_for_services_when_there_are_none():
    postmortem = PostmortemFactory(started_at=START, mitigated_at=START + _minutes(5))
    html = Template('{% include "reporting/includes/postmortem_budget.html" %}').render(
        Context({"postmortem": postmortem})
    )
    assert "Add the affected services" in html
