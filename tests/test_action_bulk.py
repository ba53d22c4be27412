from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, Status
from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db

BULK = reverse("actions:bulk")


@pytest.fixture
def items(author, reviewer):
    """Two items the author may change (own postmortem, own item) and one they may not."""
    own_postmortem = PostmortemFactory(owner=author)
    other_postmortem = PostmortemFactory(owner=reviewer)
    return [
        ActionItemFactory(postmortem=own_postmortem, owner=reviewer, created_by=reviewer),
        ActionItemFactory(postmortem=other_postmortem, owner=author, created_by=reviewer),
        ActionItemFactory(
            postmortem=other_postmortem, owner=reviewer, created_by=reviewer, title="Not yours"
        ),
    ]


def _loaded() -> dict:
    """What the list sends with a bulk change: when it was drawn."""
    return {"loaded_at": timezone.now().isoformat()}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_reassigning_changes_the_items_one_may_change_and_reports_the_rest(
    author_client, author, items
):
    response = author_client.post(
        BULK,
        {
            **_loaded(),
            "items": [i.pk for i in items],
            "action": "reassign",
            "owner": author.pk,
            "next": "/actions/?priority=P2",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/actions/?priority=P2"
    owners = [ActionItem.objects.get(pk=i.pk).owner for i in items]
    assert owners[:2] == [author, author] and owners[2] != author
    assert _messages(response) == [
        "Reassign owner: 2 items.",
        f"Skipped 1 you can't change: #{items[2].pk} Not yours.",
    ]
    assert "Owner:" in items[0].changes.get().note


def test_moving_the_due_date(author_client, items):
    author_client.post(
        BULK, {**_loaded(), "items": [items[0].pk], "action": "move", "due_date": "2027-01-15"}
    )
    items[0].refresh_from_db()
    assert items[0].due_date == date(2027, 1, 15)


def test_closing_as_wont_do_needs_a_reason_and_records_each_change(author_client, items):
    response = author_client.post(
        BULK, {**_loaded(), "items": [items[0].pk, items[1].pk], "action": "wont_do"}, follow=True
    )
    assert _messages(response) == ["Say why these items won't be done."]
    items[0].refresh_from_db()
    assert items[0].status == Status.OPEN

    author_client.post(
        BULK,
        {
            **_loaded(),
            "items": [items[0].pk, items[1].pk],
            "action": "wont_do",
            "reason": "Service retired",
        },
    )
    for item in items[:2]:
        item.refresh_from_db()
        assert (item.status, item.reason) == (Status.WONT_DO, "Service retired")
        change = item.changes.get()
        assert (change.from_status, change.to_status) == ("open", "wont_do")


def test_closing_as_done(author_client, items):
    author_client.post(BULK, {**_loaded(), "items": [items[1].pk], "action": "done"})
    items[1].refresh_from_db()
    assert items[1].status == Status.DONE and items[1].completed_at


def test_nothing_ticked_is_a_clear_message(author_client):
    response = author_client.post(BULK, {**_loaded(), "action": "done"}, follow=True)
    assert _messages(response) == ["Tick the items to change first."]


def test_a_failure_changes_nothing(author_client, author, monkeypatch, items):
    calls = []

    def complete_then_fail(self, *, by, note=""):
        calls.append(self.pk)
        self.set_status(Status.DONE, by=by)
        if len(calls) == 2:
            raise RuntimeError("database went away")

    monkeypatch.setattr(ActionItem, "complete", complete_then_fail)
    author_client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        author_client.post(
            BULK, {**_loaded(), "items": [items[0].pk, items[1].pk], "action": "done"}
        )
    assert not ActionItem.objects.filter(status=Status.DONE).exists()
