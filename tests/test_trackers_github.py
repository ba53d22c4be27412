"""Action items kept in step with GitHub Issues, against a stand-in GitHub on loopback."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import Status, TrackerLink
from actions.trackers import services
from tests.factories import ActionItemFactory, UserFactory
from tests.tracker_servers import FakeGitHub, connected, deliver, linked_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(settings):
    fake = connected(FakeGitHub(), settings, name="GitHub: acme/web", kind="github")
    yield fake
    fake.stop()


def test_creating_an_issue_sends_title_description_link_back_labels_and_assignee(client, github):
    owner = UserFactory(username="ana")
    item = ActionItemFactory(owner=owner, description="Page the on-call when lag grows.")
    client.force_login(owner)

    response = client.post(
        reverse("actions:tracker_create", args=[item.pk]), {"connection": github.connection.pk}
    )

    assert response.status_code == 302
    (sent,) = github.calls("POST")
    assert sent.path == "/repos/acme/web/issues"
    assert sent.headers["Authorization"] == "Bearer ghp-test-token"
    assert sent.body["title"] == item.title
    assert "Page the on-call when lag grows." in sent.body["body"]
    assert f"http://testserver/actions/{item.pk}/" in sent.body["body"]
    assert sent.body["labels"] == ["postmortem", "follow-up"]
    assert sent.body["assignees"] == ["ana"]
    page = client.get(item.get_absolute_url()).content.decode()
    assert "https://github.com/acme/web/issues/1" in page
    assert ">open<" in page


def test_linking_an_existing_issue_by_its_address_takes_its_state(client, github):
    owner = UserFactory()
    item = ActionItemFactory(owner=owner)
    github.add(title="Already done", state="closed")
    client.force_login(owner)

    client.post(
        reverse("actions:tracker_link", args=[item.pk]),
        {"connection": github.connection.pk, "reference": "https://github.com/acme/web/issues/1"},
    )

    item.refresh_from_db()
    assert item.status == Status.DONE
    assert item.tracker_link.key == "1"
    assert "Closed in GitHub: acme/web #1." in [change.note for change in item.changes.all()]


def test_a_reference_to_another_repository_or_a_missing_issue_gets_a_clear_message(client, github):
    owner = UserFactory()
    item = ActionItemFactory(owner=owner)
    client.force_login(owner)
    url = reverse("actions:tracker_link", args=[item.pk])

    other = client.post(
        url,
        {"connection": github.connection.pk, "reference": "https://github.com/x/y/issues/3"},
        follow=True,
    )
    missing = client.post(url, {"connection": github.connection.pk, "reference": "99"}, follow=True)

    assert "Give an issue number or an issue address in acme/web." in other.content.decode()
    assert "did not accept it: HTTP 404: Not Found" in missing.content.decode()
    assert not TrackerLink.objects.exists()


def test_only_people_who_may_change_the_item_create_issues(client, github):
    item = ActionItemFactory()
    client.force_login(UserFactory())

    response = client.post(
        reverse("actions:tracker_create", args=[item.pk]), {"connection": github.connection.pk}
    )

    assert response.status_code in (403, 404)
    assert github.requests == []


def test_closing_the_issue_marks_the_item_done_and_reopening_reopens_it(client, github):
    item, number = linked_item(github)
    now = datetime.now(UTC)

    closed = deliver(
        client, github, github.change(number, at=now + timedelta(minutes=1), state="closed")
    )
    item.refresh_from_db()
    assert closed.json() == {"outcome": "applied"}
    assert item.status == Status.DONE

    deliver(client, github, github.change(number, at=now + timedelta(minutes=2), state="open"))
    item.refresh_from_db()
    assert item.status == Status.OPEN
    assert item.tracker_link.state == "open"


def test_retried_and_out_of_order_deliveries_change_the_item_once(client, github):
    item, number = linked_item(github)
    now = datetime.now(UTC)
    first = github.change(number, at=now + timedelta(minutes=1), state="closed")
    second = github.change(number, at=now + timedelta(minutes=2), state="open")

    answers = [deliver(client, github, d).json()["outcome"] for d in (second, first, second)]

    item.refresh_from_db()
    assert answers == ["unchanged", "stale", "stale"]
    assert item.status == Status.OPEN
    assert not item.changes.filter(to_status=Status.DONE).exists()


def test_the_assignee_follows_from_the_tracker_when_they_are_a_person_here(client, github):
    item, number = linked_item(github)
    ben = UserFactory(username="ben")

    for minutes, login in [(1, "ben"), (2, "nobody-here")]:  # the second is no one here
        at = datetime.now(UTC) + timedelta(minutes=minutes)
        deliver(client, github, github.change(number, at=at, assignee=login))
        item.refresh_from_db()
        assert item.owner == ben


def test_deliveries_without_the_right_signature_or_with_a_bad_body_are_refused(client, github):
    item, number = linked_item(github)
    delivery = github.change(number, at=datetime.now(UTC) + timedelta(minutes=1), state="closed")
    forged = type(delivery)(
        {**delivery.headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}, delivery.body
    )
    unsigned = type(delivery)({"X-GitHub-Event": "issues"}, delivery.body)

    assert deliver(client, github, forged).status_code == 401
    assert deliver(client, github, unsigned).status_code == 401
    assert deliver(client, github, github.signed(b"[1,", event="issues")).status_code == 400
    assert deliver(client, github, github.signed(b"{}", event="ping")).json() == {
        "outcome": "ignored"
    }
    item.refresh_from_db()
    assert item.status == Status.OPEN


def test_reconciliation_applies_a_change_whose_webhook_was_missed(github):
    item, number = linked_item(github)
    github.change(
        number, at=datetime.now(UTC) + timedelta(minutes=1), state="closed"
    )  # never delivered

    counts = services.trackers_reconcile()

    item.refresh_from_db()
    assert counts == {"applied": 1}
    assert item.status == Status.DONE
    assert services.trackers_reconcile() == {"stale": 1}


def test_reconciliation_pushes_an_item_change_that_was_never_pushed(
    github, celery_eager, django_capture_on_commit_callbacks
):
    item, number = linked_item(github)
    item.complete(by=item.owner)  # as a bulk change or the API does: no push of its own

    with django_capture_on_commit_callbacks(execute=True):
        assert services.trackers_reconcile() == {"pushed": 1}

    assert github.issues[number]["state"] == "closed"
    assert services.trackers_reconcile() == {"stale": 1}


def test_a_newer_tracker_change_wins_over_an_older_item_change_and_both_are_recorded(
    client, github
):
    item, number = linked_item(github)
    item.complete(by=item.owner, note="Shipped the alert.")

    deliver(
        client,
        github,
        github.change(number, at=datetime.now(UTC) + timedelta(minutes=5), state="open"),
    )

    item.refresh_from_db()
    notes = [change.note for change in item.changes.all()]
    assert item.status == Status.OPEN
    assert "Shipped the alert." in notes
    assert "Reopened in GitHub: acme/web #1." in notes


def test_a_newer_item_change_wins_over_an_older_tracker_change_and_is_pushed(
    client, github, celery_eager, django_capture_on_commit_callbacks
):
    item, number = linked_item(github)
    TrackerLink.objects.update(remote_updated_at=timezone.now() - timedelta(hours=1))
    # Reopened on GitHub five minutes ago; the webhook comes late, after the item was completed.
    delivery = github.change(number, at=datetime.now(UTC) - timedelta(minutes=5), state="open")
    item.complete(by=item.owner, note="Shipped the alert.")

    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver(client, github, delivery)

    item.refresh_from_db()
    assert answer.json() == {"outcome": "kept"}
    assert item.status == Status.DONE
    assert any("the item's state wins" in change.note for change in item.changes.all())
    (pushed,) = github.calls("PATCH")
    assert pushed.body["state"] == "closed"
    assert github.issues[number]["state"] == "closed"


def test_an_item_change_is_pushed_and_its_echo_is_not_pushed_back(
    client, github, celery_eager, django_capture_on_commit_callbacks
):
    item, number = linked_item(github)
    client.force_login(item.owner)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("actions:status", args=[item.pk]), {"status": "done", "version": "open"}
        )
    (pushed,) = github.calls("PATCH")
    assert pushed.body == {"state": "closed", "assignees": [item.owner.username]}

    with django_capture_on_commit_callbacks(execute=True):
        echo = deliver(client, github, github.event(number, "closed"))
    assert echo.json() == {"outcome": "stale"}
    assert len(github.calls("PATCH")) == 1


def test_the_connection_is_refused_for_internal_addresses_unless_allowed(github, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False
    item = ActionItemFactory()

    with pytest.raises(services.TrackerError, match="internal address"):
        services.tracker_issue_create(item=item, connection=github.connection, link_back="x")
    assert github.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_push_and_the_reconciliation_run_on_a_real_worker(client, github, celery_app):
    from celery.contrib.testing.worker import start_worker

    from actions.tasks import reconcile_trackers

    item, number = linked_item(github)
    client.force_login(item.owner)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        client.post(
            reverse("actions:status", args=[item.pk]), {"status": "done", "version": "open"}
        )
        deadline = time.monotonic() + 30
        while not github.calls("PATCH") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert github.issues[number]["state"] == "closed"
        github.change(number, at=datetime.now(UTC) + timedelta(minutes=1), state="open")
        assert reconcile_trackers.delay().get(timeout=30) == {"applied": 1}
    item.refresh_from_db()
    assert item.status == Status.OPEN


def test_the_beat_schedule_reconciles_every_quarter_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-trackers"]
    assert entry["task"] == "actions.tasks.reconcile_trackers"
    assert entry["schedule"].minute == {0, 15, 30, 45}
