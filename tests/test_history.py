from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from actions.models import ActionItem
from postmortems.forms import SummaryForm
from tests.factories import ActionItemFactory, ContributingFactorFactory

pytestmark = pytest.mark.django_db


def test_the_history_shows_who_changed_what_and_when(author_client, author, postmortem):
    author_client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "summary"]),
        {
            "summary": "The queue stalled for six hours.",
            "version": SummaryForm(instance=postmortem).saved_version(),
        },
    )
    author_client.post(
        reverse("postmortems:event_create", args=[postmortem.pk]),
        {"occurred_at": "2026-03-02T14:05", "kind": "note", "description": "Lag alert fired"},
    )
    response = author_client.get(reverse("postmortems:history", args=[postmortem.pk]))
    entries = response.context["entries"]
    assert [(e.what, e.action) for e in entries[:2]] == [
        ("Timeline event “Lag alert fired”", "created"),
        ("The postmortem", "changed"),
    ]
    change = entries[1]
    assert change.who == author.get_full_name()
    assert ("summary", postmortem.summary, "The queue stalled for six hours.") in change.changes
    assert "The queue stalled for six hours." in response.content.decode()


def test_outsiders_cannot_read_the_history_of_a_restricted_postmortem(outsider_client, postmortem):
    postmortem.restricted = True
    postmortem.save()
    response = outsider_client.get(reverse("postmortems:history", args=[postmortem.pk]))
    assert response.status_code == 404


def test_an_action_items_audit_trail_shows_field_changes(author_client, author, postmortem):
    from actions.forms import ActionItemForm
    from tests.factories import ActionItemFactory

    item = ActionItemFactory(postmortem=postmortem, owner=author, title="Alert on lag")
    response = author_client.post(
        reverse("actions:edit", args=[item.pk]),
        {"title": "Alert on lag over 30 s", "owner": author.pk, "priority": "P1",
         "due_date": item.due_date.isoformat(), "kind": "detect",
         "version": ActionItemForm(instance=item).saved_version()},
    )  # fmt: skip
    assert response.status_code == 302
    assert ActionItem.objects.get().title == "Alert on lag over 30 s"
    page = author_client.get(item.get_absolute_url())
    change = page.context["entries"][0]
    assert change.who == author.get_full_name()
    assert ("title", "Alert on lag", "Alert on lag over 30 s") in change.changes


def _changes(response) -> dict[str, tuple[str, str]]:
    """Each field's latest change."""
    entries = reversed(response.context["entries"])
    return {field: (old, new) for entry in entries for field, old, new in entry.changes}


def test_the_history_shows_labels_dashes_and_times_in_the_incidents_zone(
    author_client, author, postmortem
):
    postmortem.time_zone = "Europe/Berlin"
    postmortem.severity = 2
    postmortem.status = "in_review"
    postmortem.save()
    postmortem.severity = 1
    postmortem.status = "published"
    postmortem.resolved_at = datetime(2026, 12, 5, 13, 20, tzinfo=UTC)
    postmortem.restricted = True
    postmortem._history_user = author
    postmortem.save()

    response = author_client.get(reverse("postmortems:history", args=[postmortem.pk]))
    changes = _changes(response)
    assert changes["status"] == ("In review", "Published")
    assert changes["severity"] == ("SEV2", "SEV1")
    assert changes["resolved"] == ("—", "2026-12-05 14:20 CET")
    assert changes["restricted"] == ("no", "yes")
    body = response.content.decode()
    assert "<del>In review</del>" in body and "None" not in body
    newest = response.context["entries"][0]
    assert f"{newest.when:%Y-%m-%d %H:%M} CET</time>" in body  # the entry's time, zone named
    assert newest.when.utcoffset().total_seconds() == 3600


def test_long_names_are_cut_at_a_word_with_an_ellipsis(author_client, postmortem):
    long = "The retry policy of the payment client doubled the load on the gateway every minute"
    ContributingFactorFactory(postmortem=postmortem, description=long)
    response = author_client.get(reverse("postmortems:history", args=[postmortem.pk]))
    assert response.context["entries"][0].what == (
        "Contributing factor “The retry policy of the payment client doubled the load on…”"
    )


def test_an_action_items_audit_trail_shows_labels_names_and_local_times(
    author_client, author, reviewer, postmortem
):
    postmortem.time_zone = "America/New_York"
    postmortem.save()
    item = ActionItemFactory(postmortem=postmortem, owner=author, priority="P2")
    item.priority = "P1"
    item.owner = reviewer
    item.save()
    with time_machine.travel(datetime(2027, 1, 5, 13, 20, tzinfo=UTC)):
        item.complete(by=author)

    response = author_client.get(item.get_absolute_url())
    changes = _changes(response)
    assert changes["priority"] == ("P2 – important", "P1 – urgent")
    assert changes["owner"] == ("Ada Author", "Rui Reviewer")
    assert changes["status"] == ("Open", "Done")
    assert changes["completed at"] == ("—", "2027-01-05 08:20 EST")
