"""Action items kept in step with Jira (Cloud and Data Center), against a stand-in Jira."""

import base64
from datetime import date

import pytest
from django.urls import reverse

from actions.models import Status
from actions.trackers import services
from tests.factories import ActionItemFactory, UserFactory
from tests.tracker_servers import FakeJira, connected, deliver, later, linked_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def jira(settings):
    fake = connected(FakeJira(), settings, name="Jira: OPS", kind="jira")
    yield fake
    fake.stop()


def test_creating_an_issue_sends_a_task_with_labels_assignee_and_due_date(client, jira):
    owner = UserFactory(username="ana")
    item = ActionItemFactory(owner=owner, due_date=date(2027, 3, 1))
    client.force_login(owner)

    client.post(
        reverse("actions:tracker_create", args=[item.pk]), {"connection": jira.connection.pk}
    )

    (sent,) = jira.calls("POST")
    assert sent.path == "/rest/api/2/issue"
    assert sent.headers["Authorization"] == "Bearer jira-pat"
    fields = sent.body["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["labels"] == ["postmortem", "follow-up"]
    assert fields["assignee"] == {"name": "ana"}
    assert f"/actions/{item.pk}/" in fields["description"]
    item.refresh_from_db()
    assert item.tracker_link.key == "OPS-1"
    assert item.tracker_link.state == "To Do"


def test_jira_cloud_signs_in_with_email_and_api_token(client, jira):
    jira.connection.email = "bot@acme.example"
    jira.connection.save()
    item = ActionItemFactory()

    with pytest.raises(services.TrackerError, match="HTTP 401"):
        services.tracker_issue_create(item=item, connection=jira.connection, link_back="x")

    pair = base64.b64encode(b"bot@acme.example:jira-pat").decode()
    assert jira.requests[0].headers["Authorization"] == f"Basic {pair}"


def test_done_in_jira_marks_the_item_done_and_the_due_date_and_assignee_follow(client, jira):
    item, number = linked_item(jira)
    ben = UserFactory(username="ben")

    answer = deliver(
        client,
        jira,
        jira.change(number, at=later(1), state="done", assignee="ben", due_date="2027-04-02"),
    )

    item.refresh_from_db()
    assert answer.json() == {"outcome": "applied"}
    assert item.status == Status.DONE
    assert (item.owner, item.due_date) == (ben, date(2027, 4, 2))
    deliver(client, jira, jira.change(number, at=later(2), state="new"))
    item.refresh_from_db()
    assert item.status == Status.OPEN


def test_completing_the_item_moves_the_issue_by_its_done_transition(
    client, jira, celery_eager, django_capture_on_commit_callbacks
):
    item, number = linked_item(jira)
    client.force_login(item.owner)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("actions:status", args=[item.pk]), {"status": "done", "version": "open"}
        )

    (edited,) = jira.calls("PUT")
    assert edited.body["fields"]["duedate"] == item.due_date.isoformat()
    (moved,) = [r for r in jira.calls("POST") if r.path.endswith("/transitions")]
    assert moved.body == {"transition": {"id": "31"}}
    assert jira.issues[number]["fields"]["status"]["name"] == "Done"
    item.refresh_from_db()
    assert item.tracker_link.state == "Done"


def test_data_center_webhooks_need_the_secret_in_the_url_and_cloud_ones_the_signature(client, jira):
    item, number = linked_item(jira)
    delivery = jira.change(number, at=later(1), state="done")
    without = type(delivery)(delivery.headers, delivery.body, "?secret=guess")

    assert deliver(client, jira, without).status_code == 401
    jira.cloud = True
    signed = jira.change(number, at=later(2), state="done")
    forged = type(signed)({**signed.headers, "X-Hub-Signature": "sha256=" + "0" * 64}, signed.body)
    assert deliver(client, jira, forged).status_code == 401
    assert deliver(client, jira, signed).json() == {"outcome": "applied"}
    assert deliver(client, jira, signed).json() == {"outcome": "stale"}  # Jira's retry
    item.refresh_from_db()
    assert item.status == Status.DONE


def test_reconciliation_catches_a_missed_jira_change(jira):
    item, number = linked_item(jira)
    jira.change(number, at=later(1), state="done")

    assert services.trackers_reconcile() == {"applied": 1}
    item.refresh_from_db()
    assert item.status == Status.DONE
