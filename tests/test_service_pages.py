import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from postmortems.models import Postmortem
from services.forms import ServiceForm
from services.models import Service
from tests.factories import PostmortemFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def checkout():
    return ServiceFactory(
        name="checkout",
        team=TeamFactory(display_name="Payments"),
        slo_target=Decimal("99.9"),
        window_days=30,
    )


def _incident(service, *, days_ago: int, minutes: float, **fields) -> Postmortem:
    start = NOW - timedelta(days=days_ago)
    postmortem = PostmortemFactory(
        started_at=start, mitigated_at=start + timedelta(minutes=minutes), **fields
    )
    postmortem.services.add(service)
    return postmortem


@time_machine.travel(NOW, tick=False)
def test_the_list_shows_each_services_budget_consumed_this_window(author_client, checkout):
    ServiceFactory(name="search", team=TeamFactory(display_name="Discovery"))
    _incident(checkout, days_ago=3, minutes=21.6)
    _incident(checkout, days_ago=45, minutes=600)
    response = author_client.get(reverse("services:list"))
    budgets = {b.service.name: b.consumed for b in response.context["budgets"]}
    assert budgets == {"checkout": Decimal("50.0"), "search": Decimal("0.0")}
    page = response.content.decode()
    assert "99.9% / 30 d" in page and "43.2 min" in page
    assert checkout.team.get_absolute_url() in page, "each service links to its team"


@time_machine.travel(NOW, tick=False)
def test_a_service_page_lists_its_postmortems_with_their_impact_and_budget(author_client, checkout):
    recent = _incident(checkout, days_ago=3, minutes=21.6, title="Card declines")
    _incident(checkout, days_ago=60, minutes=86.4, title="Old outage")
    PostmortemFactory(title="Someone else's incident")
    response = author_client.get(checkout.get_absolute_url())
    page = response.content.decode()
    assert re.search(r"Card declines</a>.*?<td>50\.0%</td>", page, re.S)
    assert re.search(r"Old outage</a>.*?<td>200\.0%</td>", page, re.S)
    assert "Someone else" not in page
    assert recent.get_absolute_url() in page
    assert "43.2 minutes" in page and "21 min" in page
    assert response.context["budget"].consumed == Decimal("50.0")


def test_a_service_page_lists_its_postmortems_25_to_a_page(author_client, checkout):
    for n in range(26):
        _incident(checkout, days_ago=n + 1, minutes=5, title=f"Outage number {n}")
    first = author_client.get(checkout.get_absolute_url()).content.decode()
    second = author_client.get(checkout.get_absolute_url(), {"page": "2"}).content.decode()
    assert first.count("Outage number") == 25 and "Page 1 of 2" in first
    assert second.count("Outage number") == 1 and "Page 2 of 2" in second
    assert "Outage number 0<" in second, "the first written comes last"
    invalid = author_client.get(checkout.get_absolute_url(), {"page": "x"})
    assert invalid.status_code == 200 and "Page 1 of 2" in invalid.content.decode()


def test_anyone_signed_in_creates_a_service(outsider_client):
    discovery = TeamFactory(display_name="Discovery")
    response = outsider_client.post(
        reverse("services:create"),
        {
            "name": "search",
            "team": discovery.pk,
            "description": "Listing search",
            "slo_target": "99.95",
            "window_days": "28",
        },
    )
    service = Service.objects.get(name="search")
    assert response["Location"] == service.get_absolute_url()
    assert service.slo_target == Decimal("99.95") and service.window_days == 28
    assert service.team == discovery


def test_a_service_name_is_refused_when_it_exists_in_another_case(author_client, checkout):
    response = author_client.post(
        reverse("services:create"),
        {"name": "Checkout", "slo_target": "99.9", "window_days": "30"},
    )
    assert response.status_code == 200
    assert "There is already a service called “checkout”" in response.content.decode()
    assert Service.objects.count() == 1


def test_editing_a_service_refuses_a_target_of_100_percent(author_client, checkout):
    url = reverse("services:edit", args=[checkout.pk])
    version = ServiceForm(instance=checkout).saved_version()
    data = {"name": "checkout", "team": checkout.team.pk, "window_days": "30", "version": version}
    response = author_client.post(url, {**data, "slo_target": "100"})
    assert "above 0 and below 100" in response.content.decode()
    response = author_client.post(url, {**data, "slo_target": "99.99", "window_days": "28"})
    assert response["Location"] == checkout.get_absolute_url()
    checkout.refresh_from_db()
    assert checkout.budget_minutes == Decimal("4.032")


def test_creating_a_postmortem_links_chosen_services_and_creates_new_ones(author_client, checkout):
    response = author_client.post(
        reverse("postmortems:create"),
        {
            "title": "Checkout errors",
            "severity": "1",
            "time_zone": "UTC",
            "services": [checkout.pk],
            "new_services": "Payments, CHECKOUT, payments",
        },
    )
    postmortem = Postmortem.objects.get()
    assert response["Location"] == postmortem.get_absolute_url()
    assert sorted(s.name for s in postmortem.services.all()) == ["Payments", "checkout"]
    assert Service.objects.count() == 2


def test_the_postmortem_page_links_its_services(author_client, checkout):
    postmortem = PostmortemFactory()
    postmortem.services.add(checkout)
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert f'href="{checkout.get_absolute_url()}"' in page


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "x"])
def test_an_impossible_service_id_is_refused_with_a_message(author_client, checkout, value):
    response = author_client.post(
        reverse("postmortems:create"),
        {"title": "Checkout errors", "severity": "1", "time_zone": "UTC", "services": [value]},
    )
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()


def test_a_service_page_shows_impact_start_in_the_incidents_zone(author_client, checkout):
    _incident(checkout, days_ago=2, minutes=10, time_zone="Asia/Tokyo")
    _incident(checkout, days_ago=3, minutes=10, time_zone="Europe/Berlin")
    with time_machine.travel(NOW):
        body = author_client.get(reverse("services:detail", args=[checkout.pk])).content.decode()
    assert "2026-06-13 21:00 JST" in body  # 12:00 UTC
    assert "2026-06-12 14:00 CEST" in body
