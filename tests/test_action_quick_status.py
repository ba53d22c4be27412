"""The action items section of a postmortem page, and the quick actions on items."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.forms import ActionItemForm
from actions.models import ActionItem, Status
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX_SECTION = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "action-items"}


def _status(client, item, **data):
    # Sent from a page showing the item's current status.
    data = {"version": ActionItem.objects.get(pk=item.pk).status, **data}
    return client.post(reverse("actions:status", args=[item.pk]), data, **HTMX_SECTION)


def _add(client, postmortem, **data):
    fields = {"title": "Alert on queue lag", "owner": "", "priority": "P2", "kind": "detect"}
    return client.post(
        reverse("actions:postmortem_create", args=[postmortem.pk]),
        {**fields, **data},
        **HTMX_SECTION,
    )


def test_the_postmortem_page_shows_its_items_with_a_progress_bar(author_client, postmortem):
    ActionItemFactory(postmortem=postmortem, owner=postmortem.owner, title="Add a lag alert")
    done = ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)
    done.complete(by=postmortem.owner)
    ActionItemFactory(postmortem=postmortem, owner=postmortem.owner, due_date=date(2020, 1, 1))

    body = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Add a lag alert" in body
    assert "<strong>1</strong> of 3 done" in body and "1 overdue" in body
    assert 'src="/static/js/actions.js"' in body


def test_an_editor_adds_an_item_inline_and_its_due_date_follows_the_priority(
    author_client, postmortem, author
):
    response = _add(author_client, postmortem, owner=author.pk, priority="P1")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="action-items"' in body and "Alert on queue lag" in body
    assert "<strong>0</strong> of 1 done" in body
    item = ActionItem.objects.get()
    assert item.due_date == timezone.localdate() + timedelta(days=28)
    assert (item.created_by, item.postmortem, item.owner) == (author, postmortem, author)
    assert item.changes.get().to_status == Status.OPEN


def test_the_add_form_asks_for_an_owner(author_client, postmortem):
    body = _add(author_client, postmortem).content.decode()
    assert "An open action item needs an owner." in body
    assert 'value="Alert on queue lag"' in body
    assert not ActionItem.objects.exists()


def test_a_past_due_date_is_accepted_and_shown_as_overdue(author_client, postmortem, author):
    body = _add(author_client, postmortem, owner=author.pk, due_date="2020-02-01").content.decode()
    assert ActionItem.objects.get().due_date == date(2020, 2, 1)
    assert "Overdue" in body and "1 overdue" in body


def test_the_add_form_marks_title_and_description_for_the_linter(author_client, postmortem):
    body = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert 'data-lint="true" data-lint-kind="action"' in body.replace('autocomplete="off" ', "")
    assert 'name="description"' in body and body.count('data-lint="true"') >= 2


def test_outsiders_cannot_add_items(outsider_client, postmortem):
    response = outsider_client.post(
        reverse("actions:postmortem_create", args=[postmortem.pk]), {"title": "x"}
    )
    assert response.status_code == 403
    assert not ActionItem.objects.exists()


def test_marking_done_answers_with_the_section_and_its_new_progress(author_client, postmortem):
    item = ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)
    ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)
    response = _status(author_client, item, status="done")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>1</strong> of 2 done" in body
    item.refresh_from_db()
    assert item.status == Status.DONE and item.completed_at is not None


def test_blocking_without_a_reason_shows_the_error_in_the_row(author_client, postmortem):
    item = ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)
    body = _status(author_client, item, status="blocked", reason=" ").content.decode()
    assert "Say why the item is blocked or won&#x27;t be done." in body
    item.refresh_from_db()
    assert item.status == Status.OPEN and not item.changes.exists()

    _status(author_client, item, status="blocked", reason="Waiting for the DBA team")
    item.refresh_from_db()
    assert (item.status, item.reason) == (Status.BLOCKED, "Waiting for the DBA team")


@pytest.mark.parametrize("who", ["owner", "creator", "coauthor", "admin"])
def test_the_owner_creator_editors_and_admins_may_change_the_status(client, postmortem, who):
    people = {"owner": UserFactory(), "creator": UserFactory(), "coauthor": UserFactory()}
    people["admin"] = UserFactory(is_superuser=True)
    postmortem.coauthors.add(people["coauthor"])
    item = ActionItemFactory(
        postmortem=postmortem, owner=people["owner"], created_by=people["creator"]
    )
    client.force_login(people[who])
    assert _status(client, item, status="in_progress").status_code == 200
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


def test_others_get_403_and_nothing_changes(outsider_client, postmortem):
    item = ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)
    assert _status(outsider_client, item, status="done").status_code == 403
    response = outsider_client.post(reverse("actions:edit", args=[item.pk]), {"title": "Hijacked"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == Status.OPEN and item.title != "Hijacked"
    assert not item.changes.exists()


def test_readers_see_no_controls(outsider_client, postmortem):
    ActionItemFactory(postmortem=postmortem, owner=postmortem.owner)
    body = outsider_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Mark done" not in body and "Add an action item" not in body


def test_the_item_page_changes_status_in_place_and_shows_the_history(author_client, author):
    item = ActionItemFactory(owner=author, description="See **runbook**")
    page = author_client.get(item.get_absolute_url()).content.decode()
    assert "<strong>runbook</strong>" in page and 'hx-target="#item-status"' in page

    response = author_client.post(
        reverse("actions:status", args=[item.pk]),
        {"status": "wont_do", "reason": "Replaced by the new queue", "version": "open"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="item-status",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="item-status"')
    assert "Open → <strong>Won&#x27;t do</strong>" in body and "Replaced by the new queue" in body


def test_without_htmx_a_status_change_redirects_back(author_client, author):
    item = ActionItemFactory(owner=author)
    response = author_client.post(
        reverse("actions:status", args=[item.pk]), {"status": "done", "next": "/actions/mine/"}
    )
    assert response.status_code == 302 and response["Location"] == "/actions/mine/"
    response = author_client.post(
        reverse("actions:status", args=[item.pk]), {"status": "open", "next": "https://evil.test/"}
    )
    assert response["Location"] == item.get_absolute_url()


def test_editing_an_item_records_what_changed(author_client, author, reviewer):
    item = ActionItemFactory(owner=author, due_date=date(2026, 4, 1), title="Old title")
    response = author_client.post(
        reverse("actions:edit", args=[item.pk]),
        {
            "title": "New title",
            "owner": reviewer.pk,
            "priority": item.priority,
            "due_date": "2026-05-01",
            "kind": item.kind,
            "version": ActionItemForm(instance=item).saved_version(),
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.owner, item.due_date) == ("New title", reviewer, date(2026, 5, 1))
    note = item.changes.get().note
    assert "Title: Old title → New title" in note and "2026-04-01 → 2026-05-01" in note


def test_editing_an_open_item_requires_an_owner_and_a_due_date(author_client, author):
    item = ActionItemFactory(owner=author)
    response = author_client.post(
        reverse("actions:edit", args=[item.pk]),
        {"title": "x", "owner": "", "priority": "P2", "due_date": "", "kind": "detect"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "An open action item needs an owner." in body and "This field is required." in body


def test_an_item_can_be_created_outside_a_postmortem(author_client, author):
    response = author_client.post(
        reverse("actions:create"),
        {"title": "Rotate the audit keys", "owner": author.pk, "priority": "P3", "kind": "process"},
    )
    item = ActionItem.objects.get()
    assert response["Location"] == item.get_absolute_url()
    assert item.postmortem is None and item.due_date == timezone.localdate() + timedelta(90)


def test_the_section_runs_the_same_number_of_queries_for_2_or_12_items(author_client, postmortem):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            author_client.get(reverse("actions:section", args=[postmortem.pk]))
        return len(queries)

    author_client.get(reverse("actions:section", args=[postmortem.pk]))  # the session's first
    ActionItemFactory.create_batch(2, postmortem=postmortem, owner=postmortem.owner)
    few = count()
    ActionItemFactory.create_batch(10, postmortem=postmortem, owner=postmortem.owner)
    assert count() == few
