"""Action items kept in step with GitLab issues, against a stand-in GitLab on loopback."""

from datetime import date

import pytest
from django.urls import reverse

from actions.models import Status
from actions.trackers import services
from tests.factories import ActionItemFactory, UserFactory
from tests.tracker_servers import FakeGitLab, connected, deliver, later, linked_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def gitlab(settings):
    fake = connected(FakeGitLab(), settings, name="GitLab: acme/web", kind="gitlab")
    yield fake
    fake.stop()


def test_creating_an_issue_sends_labels_the_owners_gitlab_id_and_a_link_back(client, gitlab):
    owner = UserFactory(username="ana")
    item = ActionItemFactory(owner=owner)
    client.force_login(owner)

    client.post(
        reverse("actions:tracker_create", args=[item.pk]), {"connection": gitlab.connection.pk}
    )

    (sent,) = gitlab.calls("POST")
    assert sent.path == "/api/v4/projects/acme%2Fweb/issues"
    assert sent.headers["PRIVATE-TOKEN"] == "glpat-test-token"
    assert sent.body["labels"] == "postmortem,follow-up"
    assert sent.body["assignee_ids"] == [12]
    assert f"/actions/{item.pk}/" in sent.body["description"]
    assert item.__class__.objects.get().tracker_link.url.endswith("/acme/web/-/issues/1")


def test_closing_reopening_and_a_new_due_date_follow_from_gitlab(client, gitlab):
    item, number = linked_item(gitlab)

    deliver(client, gitlab, gitlab.change(number, at=later(1), state="closed"))
    item.refresh_from_db()
    assert item.status == Status.DONE

    deliver(
        client, gitlab, gitlab.change(number, at=later(2), state="opened", due_date="2027-01-15")
    )
    item.refresh_from_db()
    assert item.status == Status.OPEN
    assert item.due_date == date(2027, 1, 15)


def test_a_moved_due_date_and_a_new_owner_are_pushed_to_gitlab(
    client, gitlab, celery_eager, django_capture_on_commit_callbacks
):
    item, number = linked_item(gitlab)
    ben = UserFactory(username="ben")
    item.owner, item.due_date = ben, date(2027, 2, 1)
    item.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.tracker_item_changed(item=item)

    (pushed,) = gitlab.calls("PUT")
    assert pushed.body == {"state_event": "reopen", "assignee_ids": [13], "due_date": "2027-02-01"}
    assert gitlab.issues[number]["due_date"] == "2027-02-01"


def test_the_secret_token_is_checked_and_retries_or_late_deliveries_change_nothing(client, gitlab):
    item, number = linked_item(gitlab)
    closed = gitlab.change(number, at=later(1), state="closed")
    reopened = gitlab.change(number, at=later(2), state="opened")
    wrong = type(closed)({**closed.headers, "X-Gitlab-Token": "guess"}, closed.body)

    assert deliver(client, gitlab, wrong).status_code == 401
    outcomes = [deliver(client, gitlab, d).json()["outcome"] for d in (reopened, closed, reopened)]

    item.refresh_from_db()
    assert outcomes == ["unchanged", "stale", "stale"]
    assert item.status == Status.OPEN


def test_reconciliation_catches_a_missed_gitlab_change(gitlab):
    item, number = linked_item(gitlab)
    gitlab.change(number, at=later(1), state="closed")

    assert services.trackers_reconcile() == {"applied": 1}
    item.refresh_from_db()
    assert item.status == Status.DONE
