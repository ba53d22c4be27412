"""The API's action items: the list page's filters and orders, items of hidden postmortems
left out, changes (status with its reason) through the site's forms, guarded by If-Match."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from actions.models import ActionItem
from tests.api import ApiClient
from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(author):
    return ApiClient(author)


@pytest.fixture
def item(postmortem, author):
    return ActionItemFactory(postmortem=postmortem, owner=author, title="Alert on queue lag")


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_the_list_filters_and_orders_as_the_list_page_does(api, author, postmortem):
    today = timezone.localdate()
    late = ActionItemFactory(postmortem=postmortem, owner=author, due_date=today - timedelta(3))
    soon = ActionItemFactory(postmortem=postmortem, owner=author, due_date=today + timedelta(3))
    done = ActionItemFactory(
        postmortem=postmortem, owner=author, status="done", completed_at=timezone.now()
    )
    assert _ids(api.get("/action-items", {"status": "not_closed", "o": "overdue"})) == [
        late.pk,
        soon.pk,
    ]
    assert _ids(api.get("/action-items", {"status": "closed"})) == [done.pk]
    assert _ids(api.get("/action-items", {"overdue": "true"})) == [late.pk]
    assert _ids(api.get("/action-items", {"o": "-due", "status": "not_closed"})) == [
        soon.pk,
        late.pk,
    ]
    assert api.get("/action-items", {"o": "sideways"}).status_code == 422


def test_items_of_a_hidden_postmortem_are_left_out_unless_you_own_them(author, outsider):
    secret = PostmortemFactory(owner=author, restricted=True)
    theirs = ActionItemFactory(postmortem=secret, owner=author, title="Rotate the leaked key")
    mine = ActionItemFactory(postmortem=secret, owner=outsider, title="Audit the access log")
    api = ApiClient(outsider)
    assert _ids(api.get("/action-items")) == [mine.pk]
    assert api.get(f"/action-items/{theirs.pk}").status_code == 404
    assert api.get("/action-items", {"postmortem": secret.pk}).json()["results"][0]["id"] == mine.pk
    new = {"title": "Sneak in", "postmortem": secret.pk, "owner": "outsider"}
    assert api.post("/action-items", new).status_code == 404


def test_a_script_creates_an_item_due_as_its_priority_says(api, postmortem):
    response = api.post(
        "/action-items",
        {
            "title": "Page on checkout 5xx",
            "postmortem": postmortem.pk,
            "owner": "author",
            "priority": "P1",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["due_date"] == (timezone.localdate() + timedelta(days=28)).isoformat()
    assert body["owner"] == "author" and body["postmortem"] == postmortem.pk
    assert body["history"][0]["note"] == "Created"
    unknown = api.post("/action-items", {"title": "Who", "owner": "nobody-here"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "owner"
    ownerless = api.post("/action-items", {"title": "Nobody's"})
    assert ownerless.json()["errors"] == [
        {"field": "owner", "message": "An open action item needs an owner."}
    ]


def test_a_status_change_needs_its_reason_and_lands_in_the_history(api, item):
    tag = api.get(f"/action-items/{item.pk}")["ETag"]
    refused = api.patch(f"/action-items/{item.pk}", {"status": "blocked"}, {"If-Match": tag})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "reason", "message": "Say why the item is blocked or won't be done."}
    ]
    moved = api.patch(
        f"/action-items/{item.pk}",
        {"status": "blocked", "reason": "Waiting on the vendor", "due_date": "2027-01-15"},
        {"If-Match": tag},
    )
    assert moved.status_code == 200, moved.json()
    item.refresh_from_db()
    assert (item.status, item.reason, item.due_date) == (
        "blocked",
        "Waiting on the vendor",
        date(2027, 1, 15),
    )
    notes = [change["note"] for change in moved.json()["history"]]
    assert "Waiting on the vendor" in notes
    assert any("→ 2027-01-15" in note for note in notes)
    done = api.patch(f"/action-items/{item.pk}", {"status": "done"}, {"If-Match": moved["ETag"]})
    assert done.json()["completed_at"] is not None


def test_a_stale_or_blind_item_update_is_refused(api, item, author):
    tag = api.get(f"/action-items/{item.pk}")["ETag"]
    item.complete(by=author)  # someone marks it done on the page meanwhile
    stale = api.patch(f"/action-items/{item.pk}", {"title": "Renamed"}, {"If-Match": tag})
    assert stale.status_code == 412
    assert api.patch(f"/action-items/{item.pk}", {"title": "Renamed"}).status_code == 428
    assert ActionItem.objects.get(pk=item.pk).title == "Alert on queue lag"


def test_only_those_who_may_change_an_item_change_it(item, outsider):
    api = ApiClient(outsider)
    tag = api.get(f"/action-items/{item.pk}")["ETag"]
    response = api.patch(f"/action-items/{item.pk}", {"title": "Mine"}, {"If-Match": tag})
    assert response.status_code == 403
