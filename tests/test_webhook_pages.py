"""The webhook pages: staff subscribe, edit, delete and read each subscription's delivery log."""

import pytest
from django.utils import timezone

from tests.factories import SubscriptionFactory
from webhooks.models import Attempt, Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_staff_subscribe_a_url_to_events_and_see_its_secret(staff_client, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    response = staff_client.post(
        "/webhooks/new/",
        {
            "url": "https://hooks.example.com/debrief",
            "description": "Incident bot",
            "events": ["review.verdict", "postmortem.published"],
            "active": "on",
        },
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{subscription.pk}/"
    assert subscription.events == ["postmortem.published", "review.verdict"]  # in the docs' order
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 40
    page = staff_client.get(response["Location"]).content.decode()
    assert subscription.secret in page and "Reveal the signing secret" in page
    assert "Nothing sent yet" in page
    listing = staff_client.get("/webhooks/").content.decode()
    assert "https://hooks.example.com/debrief" in listing and "Incident bot" in listing


def test_the_form_asks_for_https_and_an_event(staff_client, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False
    response = staff_client.post("/webhooks/new/", {"url": "http://hooks.example.com/"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["url"] == ["Use an https:// address: payloads are signed, not secret."]
    assert errors["events"] == ["Pick at least one event."]
    bad = staff_client.post("/webhooks/new/", {"url": "not a url", "events": ["nope"]})
    assert set(bad.context["form"].errors) == {"url", "events"}
    assert not Subscription.objects.exists()


def test_staff_edit_a_subscription_and_a_stale_form_is_refused(staff_client):
    subscription = SubscriptionFactory(events=["meeting.ended"])
    form = staff_client.get(f"/webhooks/{subscription.pk}/edit/").context["form"]
    version = form["version"].value()
    data = {"url": subscription.url, "events": ["meeting.ended"], "version": version}

    response = staff_client.post(f"/webhooks/{subscription.pk}/edit/", data)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.active is False  # unticked: paused

    stale = staff_client.post(
        f"/webhooks/{subscription.pk}/edit/", {**data, "active": "on", "description": "Mine"}
    )
    assert stale.status_code == 200 and "Someone saved a change" in stale.content.decode()
    subscription.refresh_from_db()
    assert subscription.active is False and subscription.description == ""


def test_the_delivery_log_shows_status_code_latency_and_attempts(staff_client):
    subscription = SubscriptionFactory()
    delivery = Delivery.objects.create(
        subscription=subscription,
        event="action_item.overdue",
        payload={"id": "x", "event": "action_item.overdue", "created_at": "", "data": {}},
        status=Delivery.Status.FAILED,
        attempts=7,
        response_code=503,
        latency_ms=87,
        error="HTTP 503 Service Unavailable",
        created_at=timezone.now(),
    )
    Attempt.objects.create(delivery=delivery, number=1, at=timezone.now(), response_code=503)
    page = staff_client.get(f"/webhooks/{subscription.pk}/").content.decode()
    for shown in ("action_item.overdue", "Failed", "503", "87 ms", "HTTP 503 Service Unavailable"):
        assert shown in page
    assert f'action="/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver/"' in page


def test_redeliver_sends_the_delivery_again_through_the_worker(
    staff_client, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_ALLOW_PRIVATE = False  # the refusal is an attempt like any other
    subscription = SubscriptionFactory(url="http://127.0.0.1:9/hook")
    delivery = Delivery.objects.create(
        subscription=subscription,
        event="meeting.ended",
        payload={"id": "x", "event": "meeting.ended", "created_at": "", "data": {}},
        status=Delivery.Status.SUCCEEDED,
        attempts=0,
        created_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver/"
        )
    assert response.status_code == 302
    [attempt] = delivery.tries.all()
    assert attempt.redelivery and "internal address" in attempt.error
    assert (
        staff_client.get(
            f"/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver/"
        ).status_code
        == 405
    )


def test_staff_delete_a_subscription_with_its_log(staff_client):
    subscription = SubscriptionFactory()
    response = staff_client.post(f"/webhooks/{subscription.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/webhooks/"
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "path", ["/webhooks/", "/webhooks/new/", "/webhooks/{pk}/", "/webhooks/{pk}/edit/"]
)
def test_people_who_are_not_staff_are_refused(client, outsider, path):
    subscription = SubscriptionFactory()
    url = path.format(pk=subscription.pk)
    assert client.get(url)["Location"].startswith("/login/?next=")
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"url": "https://x.example", "events": ["meeting.ended"]}).status_code
        == 403
    )
    assert client.post(f"/webhooks/{subscription.pk}/delete/").status_code == 403
    assert Subscription.objects.get() == subscription and Subscription.objects.count() == 1


def test_the_navbar_links_the_webhooks_for_staff_only(client, admin_user, outsider):
    client.force_login(outsider)
    assert 'href="/webhooks/"' not in client.get("/postmortems/").content.decode()
    client.force_login(admin_user)
    assert 'href="/webhooks/"' in client.get("/postmortems/").content.decode()
