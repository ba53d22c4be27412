"""Alerts posted by Alertmanager, Grafana, PagerDuty, Opsgenie or any signed JSON sender open
draft postmortems with their timeline and key times, over real HTTP to the live server."""

import copy
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from config.events import announced
from postmortems.models import AlertReceipt, AlertSource, Postmortem, Status, TimelineEvent
from tests.alert_sender import Sender, fixture
from tests.factories import AlertSourceFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

Kind = TimelineEvent.Kind


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def owner(db):
    return UserFactory(username="oncall-lead")


@pytest.fixture
def sender(live_server, owner):
    """A source of `kind` set up in the admin, and a sender that posts to it."""

    def make(kind: str, *, hmac_mode: bool = False, **fields) -> Sender:
        fields.setdefault("slug", kind)
        source = AlertSourceFactory(kind=kind, default_owner=owner, **fields)
        url = live_server.url + source.get_absolute_url()
        return Sender(url, kind, source.secret, username=source.username, hmac_mode=hmac_mode)

    return make


def timeline(postmortem: Postmortem) -> list[tuple[datetime, str]]:
    return [(e.occurred_at, e.kind) for e in postmortem.events.all()]


# Alertmanager ---------------------------------------------------------------------------


def test_an_alertmanager_group_opens_one_draft_with_its_timeline_and_key_times(sender, owner):
    payments = TeamFactory(display_name="Payments")
    ServiceFactory(name="Checkout", team=payments)
    alertmanager = sender("alertmanager")

    status, answer = alertmanager.deliver(fixture("alertmanager_firing"))
    assert status == 200 and answer["added"] == 2
    alertmanager.deliver(fixture("alertmanager_resolved"))

    postmortem = Postmortem.objects.get()
    assert answer["postmortems"] == [postmortem.reference]
    assert postmortem.status == Status.DRAFT and postmortem.owner == owner
    assert postmortem.title == "CheckoutErrors: Checkout answers errors to many requests"
    assert postmortem.severity == 1  # one alert of the group is critical
    assert [s.name for s in postmortem.services.all()] == ["Checkout"]  # payments: no such row
    assert postmortem.team == payments  # the team of its first service, as a typed draft gets

    first = at(2026, 3, 2, 14, 2).replace(microsecond=123456)
    assert timeline(postmortem) == [
        (first, Kind.DETECTION),
        (at(2026, 3, 2, 14, 4, 30), Kind.DETECTION),
        (at(2026, 3, 2, 14, 41), Kind.IMPACT_END),
        (at(2026, 3, 2, 14, 47, 15), Kind.IMPACT_END),
        (at(2026, 3, 2, 14, 47, 15), Kind.RESOLUTION),
    ]
    assert postmortem.started_at == postmortem.detected_at == first
    assert postmortem.resolved_at == at(2026, 3, 2, 14, 47, 15)
    assert postmortem.impact_duration == at(2026, 3, 2, 14, 47, 15) - first
    fired = postmortem.events.first()
    assert fired.source_url.startswith("http://prometheus.example.test:9090/graph")
    assert fired.description.startswith("Alertmanager production: CheckoutErrors firing")
    assert postmortem.events.last().source_url == "http://alertmanager.example.test:9093"


def test_retries_and_repeated_notifications_add_nothing(sender):
    alertmanager = sender("alertmanager")
    alertmanager.deliver(fixture("alertmanager_firing"), retries=2)  # repeat_interval, retries
    alertmanager.deliver(fixture("alertmanager_resolved"), retries=1)
    status, answer = alertmanager.post(fixture("alertmanager_firing"))

    assert status == 200 and answer == {
        "postmortems": [Postmortem.objects.get().reference],
        "added": 0,
        "repeated": 2,
        "left_alone": [],
    }
    assert TimelineEvent.objects.count() == 5
    assert [a["added"] for _, a in alertmanager.answers] == [2, 0, 0, 3, 0, 0]


def test_a_resolution_delivered_before_its_firing_gives_the_same_draft(sender):
    in_order, reversed_order = sender("alertmanager"), sender("alertmanager", slug="second")
    in_order.deliver(fixture("alertmanager_firing"), fixture("alertmanager_resolved"))
    reversed_order.deliver(fixture("alertmanager_resolved"), fixture("alertmanager_firing"))

    first, second = Postmortem.objects.order_by("pk")
    assert timeline(first) == timeline(second) and len(timeline(second)) == 5
    for field in ("started_at", "detected_at", "resolved_at", "severity"):
        assert getattr(first, field) == getattr(second, field)
    assert reversed_order.answers[-1][1]["added"] == 0


def test_alertmanager_basic_auth_is_checked_when_a_user_name_is_set(sender):
    alertmanager = sender("alertmanager", username="alertmanager")
    assert alertmanager.post(fixture("alertmanager_firing"))[0] == 200
    token = {"Authorization": f"Bearer {alertmanager.secret}"}
    assert alertmanager.post(fixture("alertmanager_firing"), headers=token)[0] == 401


# Grafana --------------------------------------------------------------------------------


@pytest.mark.parametrize("hmac_mode", [False, True], ids=["authorization header", "HMAC"])
def test_grafana_alerts_open_a_draft_signed_either_way(sender, hmac_mode):
    ServiceFactory(name="search")
    grafana = sender("grafana", hmac_mode=hmac_mode)
    grafana.deliver(fixture("grafana_firing"), fixture("grafana_resolved"), retries=1)

    postmortem = Postmortem.objects.get()
    assert postmortem.title == "Search latency: p99 latency of search above 2 s"
    assert postmortem.severity == 3
    assert [s.name for s in postmortem.services.all()] == ["search"]
    assert postmortem.started_at == at(2026, 5, 11, 7, 15)  # 09:15 in +02:00
    assert postmortem.resolved_at == at(2026, 5, 11, 7, 52)
    assert [kind for _, kind in timeline(postmortem)] == [
        Kind.DETECTION,
        Kind.IMPACT_END,
        Kind.RESOLUTION,
    ]


# PagerDuty ------------------------------------------------------------------------------


def test_a_pagerduty_incident_arriving_out_of_order_and_twice_builds_one_timeline(sender):
    ServiceFactory(name="orders")
    pagerduty = sender("pagerduty")
    part = lambda name: fixture("pagerduty_incident", name)  # noqa: E731
    pagerduty.deliver(part("resolved"), part("acknowledged"), retries=1)
    pagerduty.deliver(part("triggered"), part("annotated"), part("escalated"), part("resolved"))

    postmortem = Postmortem.objects.get()
    assert postmortem.title == "Order database replica lag above 10 minutes"
    assert postmortem.severity == 1  # priority P1
    assert [s.name for s in postmortem.services.all()] == ["orders"]
    assert [(e.occurred_at.replace(microsecond=0), e.kind, e.description) for e in postmortem.events.all()] == [
        (at(2026, 4, 20, 3, 11, 42), Kind.DETECTION, "Pagerduty production: Triggered: Order database replica lag above 10 minutes"),
        (at(2026, 4, 20, 3, 16, 5), Kind.NOTE, "Pagerduty production: Acknowledged by Anna Berg"),
        (at(2026, 4, 20, 3, 26), Kind.ESCALATION, "Pagerduty production: Escalated"),
        (at(2026, 4, 20, 4, 2, 19), Kind.RESOLUTION, "Pagerduty production: Resolved by Anna Berg"),
    ]  # fmt: skip
    assert postmortem.events.first().source_url.endswith("/incidents/Q2XKD7TBZ81M4E")
    assert postmortem.detected_at == postmortem.started_at == at(2026, 4, 20, 3, 11, 42)
    assert postmortem.resolved_at.replace(microsecond=0) == at(2026, 4, 20, 4, 2, 19)


@pytest.mark.parametrize(
    ("priority", "urgency", "sev"), [("P3", "high", 3), (None, "low", 4), (None, "high", 2)]
)
def test_pagerduty_severity_comes_from_the_priority_else_the_urgency(
    sender, priority, urgency, sev
):
    triggered = copy.deepcopy(fixture("pagerduty_incident", "triggered"))
    data = triggered["event"]["data"]
    data["priority"] = priority and {**data["priority"], "summary": priority}
    data["urgency"] = urgency
    sender("pagerduty").deliver(triggered)
    assert Postmortem.objects.get().severity == sev


def test_a_pagerduty_delivery_signed_with_no_current_secret_is_refused(sender):
    pagerduty = sender("pagerduty")
    body = json.dumps(fixture("pagerduty_incident", "triggered")).encode()
    stale = {"X-PagerDuty-Signature": f"v1={'0' * 64},v1={'f' * 64}"}
    assert pagerduty.post(body, headers=stale)[0] == 401
    assert not Postmortem.objects.exists()


# Opsgenie -------------------------------------------------------------------------------


def test_opsgenie_actions_fill_the_draft_and_the_responder_becomes_a_coauthor(sender, owner):
    ben = UserFactory(username="ben", email="Ben@Example.com")
    ServiceFactory(name="storage")
    opsgenie = sender("opsgenie", link_base="https://acme.app.opsgenie.example")
    part = lambda name: fixture("opsgenie_alert", name)  # noqa: E731
    opsgenie.deliver(part("create"), part("acknowledge"), part("note"), part("close"), retries=1)

    postmortem = Postmortem.objects.get()
    assert postmortem.title == "Disk almost full on storage-3"
    assert postmortem.severity == 2  # P2
    assert list(postmortem.coauthors.all()) == [ben]
    assert [s.name for s in postmortem.services.all()] == ["storage"]
    created, closed = at(2026, 4, 17, 7, 0), at(2026, 4, 17, 7, 45)
    assert timeline(postmortem) == [
        (created, Kind.DETECTION),
        (at(2026, 4, 17, 7, 5), Kind.NOTE),
        (closed, Kind.RESOLUTION),
    ]
    assert (postmortem.started_at, postmortem.resolved_at) == (created, closed)
    assert postmortem.events.first().source_url == (
        "https://acme.app.opsgenie.example/alert/detail/"
        "70413a06-38d6-4c85-92b8-5ebc900d42e2-1776409200000/details"
    )


def test_an_opsgenie_delivery_without_its_custom_header_is_refused(sender):
    opsgenie = sender("opsgenie")
    body = json.dumps(fixture("opsgenie_alert", "create")).encode()
    assert opsgenie.post(body, headers={})[0] == 401
    assert opsgenie.post(body, headers={"X-Debrief-Token": "guess"})[0] == 401
    assert opsgenie.post(body)[0] == 200


# Generic JSON ---------------------------------------------------------------------------


def test_the_latest_resolution_counts_whatever_order_resolutions_arrive_in(sender):
    ServiceFactory(name="billing")
    chloe = UserFactory(username="chloe", email="chloe@example.com")
    generic = sender("generic")
    part = lambda name: fixture("generic_incident", name)  # noqa: E731
    later = {**part("resolved"), "occurred_at": "2026-06-01T02:30:00Z"}
    generic.deliver(part("triggered"), later, part("resolved"), part("escalated"))

    postmortem = Postmortem.objects.get()
    assert postmortem.resolved_at == at(2026, 6, 1, 2, 30)
    assert postmortem.events.filter(kind=Kind.RESOLUTION).count() == 1
    assert postmortem.severity == 2  # "high"
    assert list(postmortem.coauthors.all()) == [chloe]
    assert [s.name for s in postmortem.services.all()] == ["billing"]
    assert [kind for _, kind in timeline(postmortem)] == [
        Kind.DETECTION,
        Kind.ESCALATION,
        Kind.RESOLUTION,
    ]


def test_a_timeline_event_a_person_deleted_is_not_brought_back_by_a_retry(sender):
    generic = sender("generic")
    generic.deliver(fixture("generic_incident", "triggered"))
    TimelineEvent.objects.get().delete()
    generic.deliver(fixture("generic_incident", "triggered"))
    assert not TimelineEvent.objects.exists() and AlertReceipt.objects.count() == 1


# Refusals -------------------------------------------------------------------------------

FIRST = {
    "alertmanager": ("alertmanager_firing", None),
    "grafana": ("grafana_firing", None),
    "pagerduty": ("pagerduty_incident", "triggered"),
    "opsgenie": ("opsgenie_alert", "create"),
    "generic": ("generic_incident", "triggered"),
}


@pytest.mark.parametrize(
    ("kind", "hmac_mode"), [(kind, False) for kind in FIRST] + [("grafana", True)]
)
def test_a_delivery_without_the_right_secret_is_refused_and_creates_nothing(
    sender, kind, hmac_mode
):
    source = sender(kind, hmac_mode=hmac_mode)
    payload = fixture(*FIRST[kind])
    body = json.dumps(payload).encode()
    assert source.post(body, headers={}) == (
        401,
        {"error": "Missing or wrong secret or signature."},
    )
    source.secret = "not-the-secret"
    assert source.post(body)[0] == 401
    assert not Postmortem.objects.exists()


BAD = [
    ("alertmanager", b"{not json", "The body is not JSON"),
    ("alertmanager", b"[]", "The body must be a JSON object."),
    ("alertmanager", "groupKey", "“groupKey” is missing."),
    ("alertmanager", "second alert's end", "“alerts[1].endsAt” is not a time: 'soon'."),
    ("pagerduty", "event time", "“event.occurred_at” must be a string."),
    ("opsgenie", "createdAt", "“alert.createdAt” must be a number."),
    ("generic", "status", "“status” must be one of triggered, acknowledged, escalated, resolved."),
]


def _broken(kind: str, what: str) -> dict:
    payload = copy.deepcopy(
        fixture(*FIRST[kind]) if kind != "alertmanager" else fixture("alertmanager_resolved")
    )
    if what == "groupKey":
        del payload["groupKey"]
    elif what == "second alert's end":
        payload["alerts"][1]["endsAt"] = "soon"  # the first alert is fine: nothing of it stays
    elif what == "event time":
        payload["event"]["occurred_at"] = 1776657103
    elif what == "createdAt":
        payload["alert"]["createdAt"] = "yesterday"
    elif what == "status":
        payload["status"] = "exploded"
    return payload


@pytest.mark.parametrize(("kind", "what", "reason"), BAD)
def test_a_payload_that_cannot_be_read_is_refused_with_the_reason(
    sender, caplog, kind, what, reason
):
    source = sender(kind)
    body = what if isinstance(what, bytes) else json.dumps(_broken(kind, what)).encode()
    with caplog.at_level(logging.WARNING, logger="postmortems.alerts.views"):
        status, answer = source.post(body)
    assert status == 400 and answer["error"].startswith(reason), answer
    assert not Postmortem.objects.exists() and not TimelineEvent.objects.exists()
    assert reason in caplog.text


def test_an_unknown_or_disabled_source_is_not_found_and_get_is_not_allowed(sender, client):
    generic = sender("generic")
    AlertSource.objects.update(enabled=False)
    assert generic.post(fixture("generic_incident", "triggered"))[0] == 404
    generic.url = generic.url.replace("/generic/", "/nothing-here/")
    assert generic.post(fixture("generic_incident", "triggered"))[0] == 404
    assert client.get("/alerts/generic/").status_code == 405


def test_a_postmortem_past_draft_is_left_alone(sender):
    generic = sender("generic")
    generic.deliver(fixture("generic_incident", "triggered"))
    Postmortem.objects.update(status=Status.IN_REVIEW)
    status, answer = generic.post(fixture("generic_incident", "resolved"))
    assert status == 200 and answer["left_alone"] == answer["postmortems"]
    assert TimelineEvent.objects.count() == 1


def test_with_no_owner_to_give_the_draft_the_sender_is_told_to_retry(sender):
    generic = sender("generic")
    AlertSource.objects.update(default_owner=None)
    status, answer = generic.post(fixture("generic_incident", "triggered"))
    assert status == 503 and "default owner" in answer["error"]
    UserFactory(username="root", is_superuser=True)
    assert generic.post(fixture("generic_incident", "triggered"))[0] == 200
    assert Postmortem.objects.get().owner.username == "root"


def test_a_payload_link_that_is_not_a_web_address_is_not_kept(sender):
    generic = sender("generic")
    generic.deliver({**fixture("generic_incident", "triggered"), "url": "javascript:alert(1)"})
    assert TimelineEvent.objects.get().source_url == ""


def test_severity_maps_case_insensitively_and_the_most_severe_wins():
    source = AlertSource(severity_map={"Critical": 1, "warning": 3, "P2": "2", "odd": 9})
    assert source.severity_for(["WARNING", "critical"]) == 1
    assert source.severity_for(["p2"]) == 2
    assert source.severity_for(["odd", "unknown", ""]) is None


def test_an_admin_adds_a_source_and_is_shown_the_address_to_give_the_sender(client, settings):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    form = {
        "name": "Prometheus",
        "kind": "alertmanager",
        "slug": "prometheus",
        "enabled": "on",
        "secret": "s3cret",
        "severity_label": "severity",
        "severity_map": '{"critical": 1, "warning": 5}',
        "service_label": "service",
    }
    refused = client.post("/admin/postmortems/alertsource/add/", form)
    assert "SEV numbers 1 to 4" in refused.content.decode()
    form["severity_map"] = ""  # nothing mandatory: an empty map leaves every alert a SEV3
    client.post("/admin/postmortems/alertsource/add/", form)
    source = AlertSource.objects.get()
    assert source.severity_map == {}
    page = client.get(f"/admin/postmortems/alertsource/{source.pk}/change/").content.decode()
    assert f"{settings.SITE_URL}/alerts/prometheus/" in page


def test_deliveries_of_a_new_group_at_the_same_moment_open_one_draft(sender):
    if connection.vendor == "sqlite":
        # An in-memory test database's table locks fail at once instead of waiting.
        pytest.skip("needs a database whose locks wait: runs on PostgreSQL, as in CI")
    alertmanager = sender("alertmanager")
    firing = fixture("alertmanager_firing")
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: alertmanager.post(firing), range(4)))

    assert [status for status, _ in answers] == [200] * 4, answers
    assert sum(answer["added"] for _, answer in answers) == 2
    assert Postmortem.objects.count() == 1 and TimelineEvent.objects.count() == 2


def test_the_address_needs_no_login_session_or_csrf_token(sender):
    generic = sender("generic")
    body = json.dumps(fixture("generic_incident", "triggered")).encode()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/alerts/generic/", body, content_type="application/json", headers=generic.sign(body)
    )
    assert response.status_code == 200, response.content
    assert not response.cookies  # no session, no CSRF cookie


def test_a_draft_opened_by_alerts_is_announced_once_to_webhooks(sender):
    heard = []

    def listen(*, event, objects, **_):
        heard.extend((event, obj.pk) for obj in objects)

    announced.connect(listen)
    try:
        alertmanager = sender("alertmanager")
        alertmanager.deliver(fixture("alertmanager_firing"))
        alertmanager.deliver(fixture("alertmanager_resolved"))
    finally:
        announced.disconnect(listen)
    pk = Postmortem.objects.get().pk
    assert heard[0] == ("postmortem.created", pk)
    assert [event for event, _ in heard].count("postmortem.created") == 1
    assert set(heard[1:]) == {("postmortem.updated", pk)}  # each delivery adds to its timeline
