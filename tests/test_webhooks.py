"""Outbound webhooks: events announced where they happen, signed deliveries to a real receiver
on loopback, the retry schedule on a controlled clock, and what a restricted postmortem says."""

import json
import re
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from actions.reminders import reminders_send
from actions.reminders.sending import overdue_announce
from actions.services import action_item_create
from config.events import EVENTS, announce, announced
from postmortems.models import Postmortem
from reviews.models import Meeting, Reviewer
from reviews.services import meeting_end, postmortem_submit_for_review, review_record
from tests.factories import ActionItemFactory, PostmortemFactory, SubscriptionFactory, UserFactory
from webhooks import services
from webhooks.models import Delivery
from webhooks.tasks import deliver_webhook, retry_webhooks

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parent.parent / "README.md"
SECRET = "whsec_test"
MARK = "qzsecret"


def readme_verify():
    """The verification snippet of the README's Webhooks section, exactly as printed there."""
    text = README.read_text()
    section = text[text.index("## Webhooks\n") :]
    section = section[: section.index("\n## ", 1)]
    (snippet,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    return namespace["verify"]


VERIFY = readme_verify()


class Receiver(BaseHTTPRequestHandler):
    """Checks each POST's signature with the README's snippet: 200 when it holds and 400 when
    not; /broken answers 500 whatever it gets."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verified = VERIFY(SECRET, body, self.headers.get("Debrief-Signature", ""))
        self.server.received.append(
            {"path": self.path, "headers": dict(self.headers), "body": body, "ok": verified}
        )
        self.send_response(500 if self.path == "/broken" else 200 if verified else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 0.5


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    server.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def heard():
    """The events announced, as (name, objects, details)."""
    events = []

    def listen(*, event, objects, details, **_):
        events.extend((event, obj, details) for obj in objects)

    announced.connect(listen)
    yield events
    announced.disconnect(listen)


def subscribe(url: str, events=None, **fields):
    return SubscriptionFactory(url=url, secret=SECRET, events=events or list(EVENTS), **fields)


def one_delivery(event: str, obj, **details) -> Delivery:
    announce(event, obj, **details)
    return Delivery.objects.get()


# Events, announced where they happen ----------------------------------------------------


def test_a_postmortem_announces_its_creation_submission_publication_and_text_changes(
    author_client, author, reviewer, heard
):
    response = author_client.post(
        "/postmortems/new/",
        {
            "title": "Checkout errors",
            "severity": "2",
            "time_zone": "UTC",
            "started_at": "2026-03-02T14:00",
        },
    )
    postmortem = Postmortem.objects.get()
    assert response.status_code == 302
    ActionItemFactory(postmortem=postmortem, owner=author)
    postmortem.impact, postmortem.summary = "4,100 customers.", "Checkout failed."
    postmortem.save()
    postmortem.events.create(occurred_at=postmortem.started_at, kind="note", description="Alert.")
    postmortem.factors.create(category="monitoring", description="No alert on errors.")
    postmortem.mark_text_changed()
    Reviewer.objects.create(postmortem=postmortem, user=reviewer)
    postmortem_submit_for_review(postmortem=postmortem, by=author)
    review_record(
        postmortem=postmortem, user=reviewer, verdict="approved", comment="Clear.", version=2
    )
    postmortem.publish(by=author)

    names = [name for name, _, _ in heard]
    assert names[0] == "postmortem.created" and heard[0][1] == postmortem
    assert names[-3:] == ["postmortem.submitted", "review.verdict", "postmortem.published"]
    assert "postmortem.updated" in names


def test_a_refused_transition_announces_nothing(author, heard):
    draft = PostmortemFactory(owner=author, impact="")
    with pytest.raises(Exception, match="impact"):
        draft.submit(by=author)
    assert heard == []


def test_action_items_announce_their_creation_and_status_changes(author, heard):
    item = action_item_create(by=author, title="Alert on lag", owner=author, priority="P1")
    item.complete(by=author)
    item.complete(by=author)  # already done: no change, no event
    item.set_status("wont_do", by=author, reason="Replaced by the queue rewrite.")

    assert [(name, details) for name, _, details in heard] == [
        ("action_item.created", {}),
        ("action_item.status_changed", {"from_status": "open", "to_status": "done"}),
        ("action_item.status_changed", {"from_status": "done", "to_status": "wont_do"}),
    ]


def test_overdue_is_announced_once_each_time_an_item_becomes_overdue(author, heard):
    item = ActionItemFactory(postmortem=None, owner=author, due_date=date(2026, 3, 9))
    later = ActionItemFactory(postmortem=None, owner=author, due_date=date(2026, 3, 20))

    def sweep(day: int):
        with time_machine.travel(datetime(2026, 3, day, 12, tzinfo=UTC), tick=False):
            reminders_send()

    sweep(10)
    sweep(10)
    sweep(11)
    assert [(name, obj.pk, d) for name, obj, d in heard] == [
        ("action_item.overdue", item.pk, {"today": date(2026, 3, 10)})
    ]
    item.refresh_from_db()
    item.move_due_date(date(2026, 3, 12), by=author)
    sweep(12)
    assert len(heard) == 1  # due today: not overdue yet
    sweep(13)
    sweep(21)
    assert [obj.pk for _, obj, _ in heard] == [item.pk, item.pk, later.pk]


def test_a_backlog_of_overdue_items_is_announced_in_batches_each_item_once(author, heard):
    items = ActionItemFactory.create_batch(
        5, postmortem=None, owner=author, due_date=date(2026, 3, 9)
    )
    assert overdue_announce(today=date(2026, 3, 10), batch=2) == 5
    assert sorted(obj.pk for _, obj, _ in heard) == [item.pk for item in items]
    assert overdue_announce(today=date(2026, 3, 10), batch=2) == 0


def test_a_sweep_whose_announcements_fail_still_sends_the_digests(author, mailoutbox):
    ActionItemFactory(postmortem=None, owner=author, due_date=date(2026, 3, 9))

    def broken(**_):
        raise RuntimeError("a listener broke")

    announced.connect(broken)
    try:
        with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
            assert reminders_send().sent == 1
    finally:
        announced.disconnect(broken)
    assert [m.to for m in mailoutbox] == [[author.email]]


def test_the_end_of_a_meeting_is_announced(author, heard):
    meeting = Meeting.objects.create(starts_at=timezone.now(), facilitator=author)
    meeting_end(meeting=meeting)
    assert [(name, obj) for name, obj, _ in heard] == [("meeting.ended", meeting)]


def test_an_unknown_event_name_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown event"):
        announce("postmortem.deleted", object())


# Deliveries ------------------------------------------------------------------------------


def test_a_subscribed_event_is_delivered_signed_and_logged(receiver, postmortem):
    subscription = subscribe(f"{receiver.url}/hook", events=["postmortem.published"])
    subscribe(f"{receiver.url}/other", events=["action_item.created"])
    subscribe(f"{receiver.url}/paused", active=False)
    delivery = one_delivery("postmortem.published", postmortem)

    attempt = services.delivery_send(delivery_id=str(delivery.pk))

    [request] = receiver.received
    assert request["path"] == "/hook" and request["ok"]
    headers = request["headers"]
    assert headers["Debrief-Event"] == "postmortem.published"
    assert headers["Debrief-Delivery"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json"
    body = json.loads(request["body"])
    assert body["id"] == str(delivery.pk) and body["event"] == "postmortem.published"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert body["data"]["postmortem"] == {
        "id": postmortem.pk,
        "reference": f"PM-{postmortem.pk}",
        "url": f"http://127.0.0.1:8000/postmortems/{postmortem.pk}/",
        "restricted": False,
        "title": postmortem.title,
        "status": "draft",
        "kind": "incident",
        "severity": postmortem.severity,
        "owner": "author",
        "started_at": "2026-03-02T14:00:00+00:00",
        "published_at": None,
        "text_version": 1,
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("succeeded", 200, 1)
    assert delivery.latency_ms is not None and delivery.subscription == subscription
    assert attempt.succeeded and attempt.number == 1


def test_the_readme_snippet_rejects_a_wrong_secret_a_changed_body_and_an_old_signature():
    body = b'{"id":"x"}'
    moment = datetime(2026, 3, 10, 9, tzinfo=UTC)
    header = services.signature(SECRET, int(moment.timestamp()), body)
    with time_machine.travel(moment + timedelta(minutes=4, seconds=59), tick=False):
        assert VERIFY(SECRET, body, header)
        assert not VERIFY("whsec_other", body, header)
        assert not VERIFY(SECRET, body + b" ", header)
        assert not VERIFY(SECRET, body, "v1=abc")
    with time_machine.travel(moment + timedelta(minutes=5, seconds=1), tick=False):
        assert not VERIFY(SECRET, body, header)  # a replay outside the five minutes


def test_a_failing_receiver_is_retried_on_the_backoff_schedule_for_at_most_a_day(
    receiver, postmortem
):
    subscribe(f"{receiver.url}/broken")
    start = datetime(2026, 3, 10, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        delivery = one_delivery("postmortem.created", postmortem)
        sent_at = []
        while True:
            assert services.deliveries_due() == [str(delivery.pk)]
            sent_at.append(timezone.now())
            services.delivery_send(delivery_id=str(delivery.pk))
            delivery.refresh_from_db()
            if delivery.status == "failed":
                break
            assert services.delivery_send(delivery_id=str(delivery.pk)) is None  # not due yet
            clock.move_to(delivery.next_attempt_at - timedelta(seconds=1))
            assert services.deliveries_due() == []
            clock.move_to(delivery.next_attempt_at)

    gaps = [later - earlier for earlier, later in pairwise(sent_at)]
    assert gaps == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
        timedelta(hours=15),
    ]
    assert sent_at[-1] - start <= timedelta(hours=24)
    assert (delivery.attempts, delivery.response_code, delivery.next_attempt_at) == (7, 500, None)
    assert delivery.error == "HTTP 500 Internal Server Error"
    assert len(receiver.received) == 7 and all(r["ok"] for r in receiver.received)
    # Each retry is signed at its own time, so the receiver's replay window accepts it.
    stamps = {r["headers"]["Debrief-Signature"].split(",")[0] for r in receiver.received}
    assert len(stamps) == 7


def test_a_receiver_that_does_not_answer_in_time_is_retried(postmortem):
    with ThreadingHTTPServer(("127.0.0.1", 0), Receiver) as silent:  # listens, never answers
        subscribe(f"http://127.0.0.1:{silent.server_port}/hook")
        delivery = one_delivery("postmortem.created", postmortem)
        services.delivery_send(delivery_id=str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.error == "timed out after 0.5 s"
    assert delivery.response_code is None and delivery.attempts == 1
    assert timedelta(seconds=59) < delivery.next_attempt_at - timezone.now() <= timedelta(minutes=1)


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost"])
def test_internal_addresses_are_refused_in_production(receiver, settings, postmortem, host):
    settings.OUTBOUND_ALLOW_PRIVATE = settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False
    subscribe(f"http://{host}:{receiver.server_port}/hook")
    delivery = one_delivery("postmortem.created", postmortem)
    services.delivery_send(delivery_id=str(delivery.pk))
    delivery.refresh_from_db()
    assert "resolves to the internal address" in delivery.error
    assert receiver.received == []


def test_the_first_name_of_the_setting_still_lets_webhooks_reach_a_local_server(
    receiver, settings, postmortem
):
    settings.OUTBOUND_ALLOW_PRIVATE, settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False, True
    subscribe(f"{receiver.url}/hook")
    delivery = one_delivery("postmortem.created", postmortem)
    assert services.delivery_send(delivery_id=str(delivery.pk)).succeeded


def test_redeliver_sends_again_as_a_new_attempt_with_the_same_id(receiver, postmortem):
    subscription = subscribe(f"{receiver.url}/hook")
    delivery = one_delivery("postmortem.created", postmortem)
    services.delivery_send(delivery_id=str(delivery.pk))
    assert services.delivery_send(delivery_id=str(delivery.pk)) is None  # delivered: done

    attempt = services.delivery_send(delivery_id=str(delivery.pk), redelivery=True)

    assert attempt.number == 2 and attempt.redelivery and attempt.succeeded
    ids = [json.loads(r["body"])["id"] for r in receiver.received]
    assert ids == [str(delivery.pk)] * 2
    # A failed one delivered by hand is delivered; one failing again stays failed.
    subscription.url = f"{receiver.url}/broken"
    subscription.save()
    services.delivery_send(delivery_id=str(delivery.pk), redelivery=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)


def test_a_redelivery_of_a_delivery_being_retried_keeps_its_schedule(receiver, postmortem):
    subscribe(f"{receiver.url}/broken")
    start = datetime(2026, 3, 10, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        delivery = one_delivery("postmortem.created", postmortem)
        services.delivery_send(delivery_id=str(delivery.pk))
        clock.move_to(start + timedelta(seconds=30))
        services.delivery_send(delivery_id=str(delivery.pk), redelivery=True)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 2
    assert delivery.next_attempt_at == start + timedelta(minutes=1)


def test_a_paused_subscription_holds_its_retries_until_it_is_active_again(receiver, postmortem):
    subscription = subscribe(f"{receiver.url}/hook")
    delivery = one_delivery("postmortem.created", postmortem)
    subscription.active = False
    subscription.save()
    assert services.deliveries_due() == []
    assert services.delivery_send(delivery_id=str(delivery.pk)) is None
    subscription.active = True
    subscription.save()
    assert services.deliveries_due() == [str(delivery.pk)]
    assert services.delivery_send(delivery_id=str(delivery.pk)).succeeded


def test_events_nobody_subscribed_to_make_no_deliveries(postmortem):
    subscribe("https://hooks.example.com/a", events=["meeting.ended"])
    subscribe("https://hooks.example.com/b", active=False)
    announce("postmortem.created", postmortem)
    assert not Delivery.objects.exists()


def test_deliveries_are_sent_once_the_change_commits(
    postmortem, django_capture_on_commit_callbacks, celery_eager, receiver
):
    subscribe(f"{receiver.url}/hook", events=["action_item.created"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = action_item_create(
            by=postmortem.owner, postmortem=postmortem, title="Add alert", owner=postmortem.owner
        )
        assert Delivery.objects.get().status == "pending"
    assert receiver.received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert Delivery.objects.get().status == "succeeded"
    assert json.loads(receiver.received[0]["body"])["data"]["action_item"]["id"] == item.pk


# A restricted postmortem -----------------------------------------------------------------


@pytest.fixture
def secret_postmortem(author):
    secret = PostmortemFactory(
        owner=author,
        restricted=True,
        title=f"{MARK}-title",
        summary=f"{MARK}-summary",
        impact=f"{MARK}-impact",
    )
    return secret


def test_a_restricted_postmortem_goes_out_by_its_reference_and_link_only(
    receiver, author, reviewer, secret_postmortem
):
    subscribe(f"{receiver.url}/hook")
    secret = secret_postmortem
    item = action_item_create(
        by=author, postmortem=secret, title=f"{MARK}-item", description=f"{MARK}-d", owner=author
    )
    item.set_status("blocked", by=author, reason=f"{MARK}-reason")
    announce("action_item.overdue", item, today=item.due_date + timedelta(days=2))
    Reviewer.objects.create(postmortem=secret, user=reviewer)
    review_record(
        postmortem=secret, user=reviewer, verdict="changes", comment=f"{MARK}-c", version=1
    )
    meeting = Meeting.objects.create(title="Weekly", starts_at=timezone.now(), facilitator=author)
    meeting.agenda.create(
        postmortem=secret, position=1, notes=f"{MARK}-notes", decision=f"{MARK}-d"
    )
    meeting_end(meeting=meeting)
    for event in (
        "postmortem.created",
        "postmortem.submitted",
        "postmortem.published",
        "postmortem.updated",
    ):
        announce(event, secret)

    for delivery in Delivery.objects.all():
        services.delivery_send(delivery_id=str(delivery.pk))

    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert sorted(b["event"] for b in bodies) == sorted(EVENTS)
    assert not [b for b in bodies if MARK in json.dumps(b)]
    expected = {
        "id": secret.pk,
        "reference": f"PM-{secret.pk}",
        "url": f"http://127.0.0.1:8000/postmortems/{secret.pk}/",
        "restricted": True,
    }
    of = {b["event"]: b["data"] for b in bodies}
    assert of["postmortem.updated"]["postmortem"] == expected
    assert of["meeting.ended"]["meeting"]["postmortems"] == [expected]
    assert of["action_item.overdue"] == {
        "action_item": {
            "id": item.pk,
            "url": f"http://127.0.0.1:8000/actions/{item.pk}/",
            "title": f"Action item #{item.pk}",
            "status": "blocked",
            "due_date": item.due_date.isoformat(),
            "postmortem": expected,
        },
        "days_overdue": 2,
    }
    assert of["review.verdict"]["verdict"] == "changes"


def test_a_postmortem_restricted_after_the_event_is_sent_without_its_title(
    receiver, author, admin_user, client
):
    subscription = subscribe(f"{receiver.url}/broken", events=["action_item.created"])
    postmortem = PostmortemFactory(owner=author, title=f"{MARK}-title")
    action_item_create(by=author, postmortem=postmortem, title=f"{MARK}-item", owner=author)
    delivery = Delivery.objects.get()
    assert f"{MARK}-title" in json.dumps(delivery.payload)  # readable when it happened
    services.delivery_send(delivery_id=str(delivery.pk))
    Postmortem.objects.filter(pk=postmortem.pk).update(restricted=True)

    services.delivery_send(delivery_id=str(delivery.pk), redelivery=True)

    first, second = (r["body"].decode() for r in receiver.received)
    assert f"{MARK}-title" in first and MARK not in second
    client.force_login(admin_user)
    log = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert str(delivery.pk) in log and MARK not in log


# The worker --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_an_event_once_it_commits(celery_app, receiver, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    author = UserFactory(username="author")
    subscribe(f"{receiver.url}/hook", events=["action_item.created"])
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        action_item_create(by=author, postmortem=None, title="Add alert", owner=author)
        delivery = Delivery.objects.get()
        result = deliver_webhook.delay(str(delivery.pk))  # as beat's retry would, once more
        result.get(timeout=30)
        deadline = timezone.now() + timedelta(seconds=20)
        while Delivery.objects.get().status == "pending" and timezone.now() < deadline:
            threading.Event().wait(0.1)

    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1  # sent once, not twice
    assert len(receiver.received) == 1 and receiver.received[0]["ok"]


def test_the_minutely_task_sends_the_deliveries_that_are_due(
    receiver, postmortem, celery_eager, django_capture_on_commit_callbacks
):
    subscribe(f"{receiver.url}/hook")
    start = datetime(2026, 3, 10, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        due = one_delivery("postmortem.created", postmortem)
        announce("postmortem.updated", postmortem)
        later = Delivery.objects.exclude(pk=due.pk).get()
        Delivery.objects.filter(pk=later.pk).update(next_attempt_at=start + timedelta(minutes=5))
        clock.move_to(start + timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert retry_webhooks.delay().get() == 1
    assert [json.loads(r["body"])["id"] for r in receiver.received] == [str(due.pk)]
    assert Delivery.objects.get(pk=later.pk).status == "pending"


def test_the_beat_schedule_retries_due_deliveries_every_minute():
    from config.celery import app

    entry = app.conf.beat_schedule["retry-webhooks"]
    assert entry["task"] == "webhooks.tasks.retry_webhooks" and entry["schedule"] == 60.0


def test_an_unknown_delivery_is_not_sent():
    assert services.delivery_send(delivery_id=str(uuid.uuid4())) is None
