import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.forms import ActionItemForm
from actions.models import ActionItem, Status
from postmortems.forms import TimelineEventForm
from postmortems.models import ContributingFactor, Draft, Postmortem, TimelineEvent
from reviews.models import AgendaItem, Meeting
from reviews.services import meeting_create
from services.models import Service
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    ServiceFactory,
    TimelineEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CONFLICT = "Someone saved a change to this while you were editing."
MISSING = "This form was sent without the version of what it changes"


@pytest.fixture
def coauthor_client(client, postmortem):
    # A second browser: the co-author edits the same postmortem at the same time.
    from django.test import Client

    coauthor = UserFactory(username="coauthor")
    postmortem.coauthors.add(coauthor)
    other = Client()
    other.force_login(coauthor)
    return other


def _version(response, name: str = "version") -> str:
    return re.search(rf'name="{name}" value="([0-9a-f]*)"', response.content.decode())[1]


def _window(user) -> Client:
    """Another browser window of `user`."""
    window = Client()
    window.force_login(user)
    return window


def _edit_url(postmortem, section):
    return reverse("postmortems:section_edit", args=[postmortem.pk, section])


def test_a_stale_form_never_overwrites_and_shows_both_versions(
    author_client, coauthor_client, postmortem
):
    mine = _version(author_client.get(_edit_url(postmortem, "summary")))
    theirs = _version(coauthor_client.get(_edit_url(postmortem, "summary")))
    coauthor_client.post(_edit_url(postmortem, "summary"), {"summary": "Theirs", "version": theirs})

    response = author_client.post(
        _edit_url(postmortem, "summary"),
        {"summary": "Mine", "version": mine},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Someone saved a change to this while you were editing." in body
    assert '<div class="conflict-theirs border rounded p-2 bg-body">Theirs</div>' in body
    assert "Mine</textarea>" in body
    postmortem.refresh_from_db()
    assert postmortem.summary == "Theirs"

    author_client.post(
        _edit_url(postmortem, "summary"), {"summary": "Merged", "version": _version(response)}
    )
    postmortem.refresh_from_db()
    assert postmortem.summary == "Merged"


def test_edits_to_different_sections_do_not_conflict(author_client, coauthor_client, postmortem):
    mine = _version(author_client.get(_edit_url(postmortem, "summary")))
    theirs = _version(coauthor_client.get(_edit_url(postmortem, "impact")))
    coauthor_client.post(
        _edit_url(postmortem, "impact"), {"impact": "Slow logins", "version": theirs}
    )
    response = author_client.post(
        _edit_url(postmortem, "summary"), {"summary": "Mine", "version": mine}
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert (postmortem.summary, postmortem.impact) == ("Mine", "Slow logins")


def test_a_stale_timeline_event_edit_is_refused(author_client, coauthor_client, postmortem):
    event = TimelineEventFactory(postmortem=postmortem, description="Original")
    url = reverse("postmortems:event_edit", args=[postmortem.pk, event.pk])
    mine = _version(author_client.get(url))
    data = {"occurred_at": "2026-03-02T14:05", "kind": "note"}
    coauthor_client.post(
        url, {**data, "description": "Theirs", "version": _version(coauthor_client.get(url))}
    )
    response = author_client.post(url, {**data, "description": "Mine", "version": mine})
    assert "Someone saved a change" in response.content.decode()
    event.refresh_from_db()
    assert event.description == "Theirs"


def test_typing_is_kept_as_a_draft_and_restored_when_the_form_opens_again(
    author_client, author, postmortem
):
    version = _version(author_client.get(_edit_url(postmortem, "summary")))
    response = author_client.post(
        reverse("postmortems:draft", args=[postmortem.pk]),
        {"field": "summary", "text": "Half-written thought", "base_version": version},
    )
    assert response.json()["saved"] is True
    page = author_client.get(
        _edit_url(postmortem, "summary"), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Restored your unsaved text" in page and "Half-written thought</textarea>" in page

    author_client.post(
        _edit_url(postmortem, "summary"), {"summary": "Finished", "version": version}
    )
    assert not Draft.objects.exists()


def test_a_draft_begun_before_someone_elses_save_does_not_overwrite_it(
    author_client, coauthor_client, postmortem
):
    version = _version(author_client.get(_edit_url(postmortem, "summary")))
    author_client.post(
        reverse("postmortems:draft", args=[postmortem.pk]),
        {"field": "summary", "text": "My draft", "base_version": version},
    )
    theirs = _version(coauthor_client.get(_edit_url(postmortem, "summary")))
    coauthor_client.post(_edit_url(postmortem, "summary"), {"summary": "Theirs", "version": theirs})
    restored = author_client.get(_edit_url(postmortem, "summary"))
    response = author_client.post(
        _edit_url(postmortem, "summary"), {"summary": "My draft", "version": _version(restored)}
    )
    assert "Someone saved a change" in response.content.decode()


def test_discarding_a_draft(author_client, author, postmortem):
    Draft.objects.create(postmortem=postmortem, user=author, field="summary", text="x")
    response = author_client.post(
        reverse("postmortems:draft_discard", args=[postmortem.pk, "summary"])
    )
    assert response.status_code == 302
    assert not Draft.objects.exists()


def test_only_editors_keep_drafts_and_bad_fields_are_refused(client, outsider, author, postmortem):
    url = reverse("postmortems:draft", args=[postmortem.pk])
    client.force_login(outsider)
    assert client.post(url, {"field": "summary", "text": "x"}).status_code == 403
    client.force_login(author)
    assert client.post(url, {"field": "owner", "text": "x"}).status_code == 400
    assert not Draft.objects.exists()


# Every edit form: two windows open the same row, both save.


def _item_data(item, **changes) -> dict:
    fields = ["title", "priority", "kind", "description", "tracker_url"]
    data = {name: getattr(item, name) for name in fields}
    return {**data, "owner": item.owner_id, "due_date": item.due_date.isoformat(), **changes}


def test_a_stale_action_item_edit_is_refused_and_shows_theirs(
    author_client, coauthor_client, author, postmortem
):
    item = ActionItemFactory(postmortem=postmortem, owner=author, title="Alert on lag")
    url = reverse("actions:edit", args=[item.pk])
    mine = _version(author_client.get(item.get_absolute_url()))
    theirs = _version(coauthor_client.get(item.get_absolute_url()))
    saved = coauthor_client.post(url, _item_data(item, title="Alert on lag > 30 s", version=theirs))
    assert saved.status_code == 302

    response = author_client.post(url, _item_data(item, title="Page on lag", version=mine))
    body = response.content.decode()
    assert CONFLICT in body
    assert (
        '<div class="conflict-theirs border rounded p-2 bg-body">Alert on lag &gt; 30 s</div>'
        in body
    )
    assert 'value="Page on lag"' in body
    assert ActionItem.objects.get().title == "Alert on lag > 30 s"

    again = author_client.post(
        url, _item_data(item, title="Page on lag", version=_version(response))
    )
    assert again.status_code == 302
    assert ActionItem.objects.get().title == "Page on lag"


def test_a_status_change_from_a_stale_page_is_refused(
    author_client, coauthor_client, author, postmortem
):
    item = ActionItemFactory(postmortem=postmortem, owner=author)
    url = reverse("actions:status", args=[item.pk])
    page = author_client.get(item.get_absolute_url()).content.decode()
    assert 'name="version" value="open"' in page  # the status it was shown with
    coauthor_client.get(item.get_absolute_url())
    coauthor_client.post(url, {"status": "done", "version": "open"})

    response = author_client.post(
        url,
        {"status": "blocked", "reason": "Waiting on the vendor", "version": "open"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="item-status",
    )
    assert "Someone changed this item&#x27;s status to Done meanwhile" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.reason) == (Status.DONE, "")


def test_mark_done_on_a_stale_postmortem_page_does_not_undo_a_newer_status(
    author_client, coauthor_client, author, postmortem
):
    item = ActionItemFactory(postmortem=postmortem, owner=author)
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert 'name="version" value="open"' in page
    url = reverse("actions:status", args=[item.pk])
    coauthor_client.post(url, {"status": "wont_do", "reason": "Service retired", "version": "open"})

    response = author_client.post(
        url,
        {"status": "done", "version": "open"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="action-items",
    )
    assert "status to Won&#x27;t do meanwhile" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.reason) == (Status.WONT_DO, "Service retired")


def test_saving_an_item_keeps_a_status_change_saved_while_the_form_was_checked(author, postmortem):
    item = ActionItemFactory(postmortem=postmortem, owner=author)
    fetched = ActionItem.objects.get(pk=item.pk)  # as the edit view read it
    version = ActionItemForm(instance=fetched).saved_version()
    form = ActionItemForm(_item_data(fetched, title="Renamed", version=version), instance=fetched)
    item.complete(by=author)  # another request, between the read and the save
    assert form.save_if_current()
    item.refresh_from_db()
    assert (item.title, item.status) == ("Renamed", Status.DONE)
    assert item.completed_at is not None


def test_of_two_saves_that_read_the_row_at_once_only_the_first_is_written(author, postmortem):
    event = TimelineEventFactory(postmortem=postmortem, description="Original")
    # Two requests fetched the event before either saved: the check reads it again.
    rows = [TimelineEvent.objects.get(pk=event.pk) for _ in range(2)]
    data = {"occurred_at": "2026-03-02T14:05", "kind": "note", "version": _form_version(event)}
    forms = [
        TimelineEventForm({**data, "description": text}, instance=row)
        for row, text in zip(rows, ["First", "Second"], strict=True)
    ]
    assert forms[0].save_if_current()
    assert not forms[1].save_if_current()
    assert forms[1].conflicts == [
        ("When", rows[0].occurred_at),
        ("Kind", "Note"),
        ("Description", "First"),
        ("Source link", ""),
        ("Starred", False),
    ]
    assert TimelineEvent.objects.get().description == "First"


def _form_version(event) -> str:
    return TimelineEventForm(instance=event).saved_version()


def test_a_stale_contributing_factor_edit_is_refused(author_client, coauthor_client, postmortem):
    factor = ContributingFactorFactory(postmortem=postmortem, description="Original")
    url = reverse("postmortems:factor_edit", args=[postmortem.pk, factor.pk])
    mine = _version(author_client.get(url))
    theirs = _version(coauthor_client.get(url))
    coauthor_client.post(url, {"category": "capacity", "description": "Theirs", "version": theirs})
    response = author_client.post(
        url, {"category": "tooling", "description": "Mine", "version": mine}
    )
    body = response.content.decode()
    assert CONFLICT in body and "Mine</textarea>" in body
    assert ContributingFactor.objects.get().description == "Theirs"


def test_a_stale_service_edit_is_refused(author_client, outsider, author):
    service = ServiceFactory(name="checkout", description="Card payments")
    url = reverse("services:edit", args=[service.pk])
    theirs_window = _window(outsider)
    mine = _version(author_client.get(url))
    theirs = _version(theirs_window.get(url))
    data = {"name": "checkout", "team": "", "slo_target": "99.9", "window_days": "30"}
    saved = theirs_window.post(url, {**data, "description": "Theirs", "version": theirs})
    assert saved.status_code == 302
    response = author_client.post(url, {**data, "description": "Mine", "version": mine})
    body = response.content.decode()
    assert CONFLICT in body and "Mine</textarea>" in body
    assert Service.objects.get().description == "Theirs"


def test_a_stale_no_actions_reason_is_refused(author_client, coauthor_client, postmortem):
    url = reverse("actions:no_actions_reason", args=[postmortem.pk])

    def opened(client) -> str:
        page = client.get(postmortem.get_absolute_url()).content.decode()
        form = page[page.index(f'action="{url}"') :]
        return re.search(r'name="version" value="([0-9a-f]+)"', form)[1]

    mine, theirs = opened(author_client), opened(coauthor_client)
    coauthor_client.post(url, {"no_actions_reason": "Vendor outage", "version": theirs})
    response = author_client.post(
        url, {"no_actions_reason": "Nothing to do", "version": mine}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert CONFLICT in body and "Nothing to do</textarea>" in body
    assert Postmortem.objects.get().no_actions_reason == "Vendor outage"


def test_a_stale_access_change_is_refused(author_client, coauthor_client, postmortem, outsider):
    url = _edit_url(postmortem, "access")
    mine = _version(author_client.get(url))
    theirs = _version(coauthor_client.get(url))
    coauthor_client.post(url, {"restricted": "on", "allowed_users": [], "version": theirs})
    response = author_client.post(
        url, {"allowed_users": [outsider.pk], "version": mine}, HTTP_HX_REQUEST="true"
    )
    assert CONFLICT in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.restricted and not postmortem.allowed_users.exists()


@pytest.fixture
def meeting(author, postmortem):
    return meeting_create(
        data={"title": "Weekly review", "starts_at": timezone.now(), "location": "Room 4"},
        attendees=[],
        agenda=[postmortem],
        facilitator=author,
    )


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_meeting_notes_autosave_again_and_again_but_a_stale_window_is_refused(
    author_client, author, meeting
):
    present, url = (reverse(f"reviews:{n}", args=[meeting.pk]) for n in ("present", "notes"))
    other_window = _window(author)
    first = _version(author_client.get(present))
    stale = _version(other_window.get(present))

    saved = author_client.post(url, {"notes": "TTLs", "decisions": "", "version": first}, **HTMX)
    assert "Saved" in saved.content.decode()
    # The answer gives the form the new version, so the next autosave is not a conflict.
    assert 'hx-swap-oob="true"' in saved.content.decode()
    again = author_client.post(
        url, {"notes": "TTLs reviewed", "decisions": "", "version": _version(saved)}, **HTMX
    )
    assert "Saved" in again.content.decode()

    response = other_window.post(
        url, {"notes": "Old window", "decisions": "", "version": stale}, **HTMX
    )
    body = response.content.decode()
    assert "Not saved: these notes were saved from another window meanwhile." in body
    assert '<div class="conflict-theirs border rounded p-2 bg-body">TTLs reviewed</div>' in body
    assert Meeting.objects.get().notes == "TTLs reviewed"

    keep_mine = re.search(r'data-version="([0-9a-f]+)"', body)[1]
    other_window.post(url, {"notes": "Old window", "decisions": "", "version": keep_mine}, **HTMX)
    assert Meeting.objects.get().notes == "Old window"


def test_agenda_notes_from_a_stale_window_are_refused(author_client, author, meeting):
    item = meeting.agenda.get()
    present = reverse("reviews:present", args=[meeting.pk])
    url = reverse("reviews:agenda_item", args=[meeting.pk, item.pk])
    name = f"agenda-{item.pk}-version"
    other_window = _window(author)
    mine, stale = (_version(w.get(present), name) for w in (author_client, other_window))
    fields = {f"agenda-{item.pk}-decision": ""}
    author_client.post(url, {**fields, f"agenda-{item.pk}-notes": "Ours", name: mine}, **HTMX)
    response = other_window.post(
        url, {**fields, f"agenda-{item.pk}-notes": "Stale", name: stale}, **HTMX
    )
    assert "Not saved" in response.content.decode()
    assert AgendaItem.objects.get().notes == "Ours"


def test_a_bulk_change_leaves_items_changed_after_the_list_was_loaded(
    author_client, coauthor_client, author, postmortem
):
    untouched = ActionItemFactory(postmortem=postmortem, owner=author, title="Untouched")
    changed = ActionItemFactory(postmortem=postmortem, owner=author, title="Dropped meanwhile")
    page = author_client.get(reverse("actions:list"), follow=True).content.decode()
    loaded_at = html.unescape(re.search(r'name="loaded_at" value="([^"]+)"', page)[1])
    coauthor_client.post(
        reverse("actions:status", args=[changed.pk]),
        {"status": "wont_do", "reason": "Service retired", "version": "open"},
    )
    response = author_client.post(
        reverse("actions:bulk"),
        {"items": [untouched.pk, changed.pk], "action": "done", "loaded_at": loaded_at},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Close as done: 1 item.",
        f"Left 1 as they were: changed by someone after you loaded the list "
        f"(#{changed.pk} Dropped meanwhile). Check them and choose again.",
    ]
    assert ActionItem.objects.get(pk=untouched.pk).status == Status.DONE
    assert ActionItem.objects.get(pk=changed.pk).status == Status.WONT_DO


# A form sent without its version is refused, never saved over what is there.


def test_edits_without_a_version_are_refused_everywhere(author_client, author, postmortem, meeting):
    event = TimelineEventFactory(postmortem=postmortem, description="Kept")
    factor = ContributingFactorFactory(postmortem=postmortem, description="Kept")
    item = ActionItemFactory(postmortem=None, owner=author, title="Kept")
    service = ServiceFactory(name="checkout", description="Kept")
    agenda = meeting.agenda.get()
    pm = postmortem.pk
    event_data = {"occurred_at": "2026-03-02T14:05", "kind": "note", "description": "Lost"}
    service_data = {"name": "checkout", "slo_target": "99.9", "window_days": "30"}
    cases = [
        (_edit_url(postmortem, "summary"), {"summary": "Lost"}, lambda: Postmortem.objects.get(pk=pm).summary),
        (_edit_url(postmortem, "details"), {"title": "Lost", "severity": "2", "time_zone": "UTC"}, lambda: Postmortem.objects.get(pk=pm).title),
        (reverse("postmortems:event_edit", args=[pm, event.pk]), event_data, lambda: TimelineEvent.objects.get().description),
        (reverse("postmortems:factor_edit", args=[pm, factor.pk]), {"category": "other", "description": "Lost"}, lambda: ContributingFactor.objects.get().description),
        (reverse("actions:edit", args=[item.pk]), _item_data(item, title="Lost"), lambda: ActionItem.objects.get().title),
        (reverse("actions:status", args=[item.pk]), {"status": "wont_do", "reason": "Lost"}, lambda: ActionItem.objects.get().reason),
        (reverse("actions:no_actions_reason", args=[pm]), {"no_actions_reason": "Lost"}, lambda: Postmortem.objects.get(pk=pm).no_actions_reason),
        (reverse("services:edit", args=[service.pk]), {**service_data, "description": "Lost"}, lambda: Service.objects.get().description),
        (reverse("reviews:notes", args=[meeting.pk]), {"notes": "Lost", "decisions": ""}, lambda: Meeting.objects.get().notes),
        (reverse("reviews:agenda_item", args=[meeting.pk, agenda.pk]), {f"agenda-{agenda.pk}-notes": "Lost"}, lambda: AgendaItem.objects.get().notes),
    ]  # fmt: skip
    for url, data, saved in cases:
        for version in ({}, {"version": ""}, {f"agenda-{agenda.pk}-version": ""}):
            response = author_client.post(url, {**data, **version}, HTTP_HX_REQUEST="true")
            body = html.unescape(response.content.decode())
            assert MISSING in body, url
            assert saved() != "Lost", url


def test_a_bulk_change_without_the_time_the_list_was_loaded_is_refused(
    author_client, author, postmortem
):
    item = ActionItemFactory(postmortem=postmortem, owner=author)
    response = author_client.post(
        reverse("actions:bulk"), {"items": [item.pk], "action": "done"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "The list was sent without the time it was loaded, so nothing was changed. "
        "Reload the list and choose again."
    ]
    assert ActionItem.objects.get().status == Status.OPEN


# False conflicts: a save supersedes the drafts typed before it.


def test_an_autosave_arriving_after_the_save_is_not_offered_back(author_client, postmortem):
    url = _edit_url(postmortem, "summary")
    version = _version(author_client.get(url))
    author_client.post(url, {"summary": "Final words", "version": version})
    # The 2-second timer of the form just saved fires, with the text it saved.
    author_client.post(
        reverse("postmortems:draft", args=[postmortem.pk]),
        {"field": "summary", "text": "Final words\r\n", "base_version": version},
    )
    page = author_client.get(url, HTTP_HX_REQUEST="true")
    assert "Restored your unsaved text" not in page.content.decode()
    response = author_client.post(url, {"summary": "Final, revised", "version": _version(page)})
    assert response.status_code == 302
    assert not Draft.objects.exists()


def test_a_draft_identical_to_the_saved_text_is_never_offered(author_client, author, postmortem):
    Draft.objects.create(
        postmortem=postmortem, user=author, field="summary", text=postmortem.summary
    )
    page = author_client.get(_edit_url(postmortem, "summary")).content.decode()
    assert "Restored your unsaved text" not in page
    assert not Draft.objects.exists()


def test_a_save_deletes_only_the_savers_drafts_of_that_section(
    author_client, coauthor_client, author, postmortem
):
    url = _edit_url(postmortem, "summary")
    version = _version(author_client.get(url))
    theirs = Draft.objects.create(
        postmortem=postmortem, user=postmortem.coauthors.get(), field="summary", text="Theirs"
    )
    for field, text in (("impact", "Other section"), ("summary", "Mine")):
        Draft.objects.create(
            postmortem=postmortem, user=author, field=field, text=text, base_version=version
        )
    author_client.post(url, {"summary": "Mine", "version": version})
    assert set(Draft.objects.values_list("text", flat=True)) == {theirs.text, "Other section"}
