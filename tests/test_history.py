import pytest
from django.urls import reverse

from postmortems.forms import SummaryForm

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
    from actions.models import ActionItem
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
