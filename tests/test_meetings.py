from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from actions.models import ActionItem
from reviews.forms import AgendaItemForm, MeetingNotesForm
from reviews.models import AgendaItem, Attendance, Meeting
from reviews.services import meeting_create, suggested_agenda
from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(author, reviewer, complete_postmortem):
    return meeting_create(
        data={"title": "Weekly review", "starts_at": timezone.now(), "location": "Room 4"},
        attendees=[reviewer],
        agenda=[complete_postmortem],
        facilitator=author,
    )


def test_the_suggested_agenda_is_in_review_and_published_with_overdue_items(author):
    today = timezone.localdate()
    in_review = PostmortemFactory(status="in_review")
    overdue = PostmortemFactory(status="published")
    ActionItemFactory(postmortem=overdue, due_date=today - timedelta(days=1))
    on_track = PostmortemFactory(status="published")
    ActionItemFactory(postmortem=on_track, due_date=today + timedelta(days=1))
    closed_late = PostmortemFactory(status="published")
    ActionItemFactory(
        postmortem=closed_late, due_date=today - timedelta(days=3), status="done",
        completed_at=timezone.now(),
    )  # fmt: skip
    PostmortemFactory(status="draft")
    assert set(suggested_agenda(author, today)) == {in_review, overdue}


def test_planning_a_meeting_preselects_the_suggestions(author_client, author, reviewer):
    suggested = PostmortemFactory(status="in_review")
    other = PostmortemFactory(status="draft")
    form = author_client.get(reverse("reviews:create")).context["form"]
    assert form["agenda"].initial == [suggested.pk]
    response = author_client.post(
        reverse("reviews:create"),
        {
            "title": "Weekly review",
            "starts_at": "2026-12-01T15:00",
            "duration_minutes": "45",
            "location": "https://meet.example.com/abc",
            "attendees": [reviewer.pk],
            "agenda": [suggested.pk, other.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == meeting.get_absolute_url()
    assert meeting.facilitator == author
    assert set(meeting.attendees.all()) == {author, reviewer}
    assert [a.postmortem for a in meeting.agenda.all()] == [suggested, other]


def test_bad_meeting_input_keeps_what_was_typed(author_client):
    response = author_client.post(
        reverse("reviews:create"),
        {"title": "Kept", "starts_at": "tomorrow", "duration_minutes": "-5"},
    )
    assert set(response.context["form"].errors) == {"starts_at", "duration_minutes"}
    assert 'value="Kept"' in response.content.decode()


def test_the_invitation_is_an_ics_event_with_attendees_and_agenda(author_client, meeting, reviewer):
    response = author_client.get(reverse("reviews:ics", args=[meeting.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["summary"]) == "Weekly review"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)
    attendees = event["attendee"] if isinstance(event["attendee"], list) else [event["attendee"]]
    assert "mailto:reviewer@example.com" in [str(a) for a in attendees]
    assert meeting.agenda.get().postmortem.title in str(event["description"])


def test_present_mode_shows_a_slide_per_agenda_postmortem(
    author_client, meeting, complete_postmortem
):
    body = author_client.get(reverse("reviews:present", args=[meeting.pk])).content.decode()
    assert body.count('class="slide"') == 3  # overview, one postmortem, wrap-up
    assert complete_postmortem.summary in body and complete_postmortem.impact in body


def test_present_mode_makes_the_same_queries_whatever_the_agenda_length(
    author_client, author, django_assert_max_num_queries
):
    def present(count):
        agenda = [PostmortemFactory() for _ in range(count)]
        for postmortem in agenda:
            ActionItemFactory(postmortem=postmortem)
        meeting = meeting_create(
            data={"starts_at": timezone.now()}, attendees=[], agenda=agenda, facilitator=author
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            author_client.get(reverse("reviews:present", args=[meeting.pk]))
        return len(queries)

    author_client.get(reverse("reviews:list"))  # the session's first request moves its expiry
    assert present(2) == present(6)


def test_present_mode_shows_each_postmortem_s_timeline_factors_and_action_items(
    author_client, meeting, complete_postmortem
):
    body = author_client.get(reverse("reviews:present", args=[meeting.pk])).content.decode()
    assert complete_postmortem.events.get().description in body
    assert complete_postmortem.factors.get().description in body
    assert complete_postmortem.action_items.get().title in body


def test_present_mode_leaves_out_restricted_postmortems_a_person_may_not_read(
    client, meeting, reviewer, complete_postmortem
):
    secret = PostmortemFactory(title="Secret incident", restricted=True)
    meeting.agenda.create(postmortem=secret, position=2)
    client.force_login(reviewer)
    body = client.get(reverse("reviews:present", args=[meeting.pk])).content.decode()
    assert complete_postmortem.title in body
    assert "Secret incident" not in body
    assert body.count('class="slide"') == 3


def test_a_slide_fetches_its_action_item_form_when_opened(
    author_client, meeting, author, reviewer, outsider
):
    item = meeting.agenda.get()
    url = reverse("reviews:add_action", args=[meeting.pk, item.pk])
    page = author_client.get(reverse("reviews:present", args=[meeting.pk])).content.decode()
    assert f'hx-get="{url}"' in page
    assert f'name="action-{item.pk}-owner"' not in page, "not one list of everyone per slide"
    form = author_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-post="{url}"' in form
    assert f'name="action-{item.pk}-title"' in form
    # Its owner is offered from the meeting's attendees and the postmortem's people.
    assert f'<option value="{reviewer.pk}">' in form
    assert f'<option value="{author.pk}">' in form
    assert f'<option value="{outsider.pk}">' not in form


def test_the_facilitator_adds_an_action_item_in_place(author_client, meeting, reviewer):
    item = meeting.agenda.get()
    response = author_client.post(
        reverse("reviews:add_action", args=[meeting.pk, item.pk]),
        {
            f"action-{item.pk}-title": "Alert on replication lag over 30 s",
            f"action-{item.pk}-owner": reviewer.pk,
            f"action-{item.pk}-priority": "P1",
            f"action-{item.pk}-kind": "detect",
            f"action-{item.pk}-due_date": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "Alert on replication lag over 30 s" in response.content.decode()
    created = ActionItem.objects.get(title="Alert on replication lag over 30 s")
    assert created.postmortem == item.postmortem and created.owner == reviewer
    assert list(meeting.action_items.all()) == [created]


def test_notes_decisions_and_attendance_are_recorded(author_client, meeting, reviewer):
    item = meeting.agenda.get()
    response = author_client.post(
        reverse("reviews:agenda_item", args=[meeting.pk, item.pk]),
        {
            f"agenda-{item.pk}-notes": "Discussed TTLs",
            f"agenda-{item.pk}-decision": "Publish",
            f"agenda-{item.pk}-version": AgendaItemForm(instance=item).saved_version(),
        },
    )
    assert "Saved" in response.content.decode()
    author_client.post(reverse("reviews:attendance", args=[meeting.pk]), {"present": [reviewer.pk]})
    author_client.post(
        reverse("reviews:notes", args=[meeting.pk]),
        {
            "decisions": "Ship it",
            "notes": "",
            "version": MeetingNotesForm(instance=meeting).saved_version(),
        },
    )
    item.refresh_from_db()
    meeting.refresh_from_db()
    assert (item.notes, item.decision, meeting.decisions) == (
        "Discussed TTLs",
        "Publish",
        "Ship it",
    )
    assert Attendance.objects.get(user=reviewer).attended is True
    assert Attendance.objects.get(user=meeting.facilitator).attended is False


def test_only_the_facilitator_runs_the_meeting(client, reviewer, meeting):
    client.force_login(reviewer)
    item = meeting.agenda.get()
    url = reverse("reviews:agenda_item", args=[meeting.pk, item.pk])
    assert client.post(url, {f"agenda-{item.pk}-decision": "x"}).status_code == 403
    action_url = reverse("reviews:add_action", args=[meeting.pk, item.pk])
    assert client.get(action_url).status_code == 403
    assert client.post(reverse("reviews:end", args=[meeting.pk])).status_code == 403
    assert AgendaItem.objects.get().decision == ""
    assert client.get(reverse("reviews:present", args=[meeting.pk])).status_code == 200


def test_ending_the_meeting_emails_the_summary_to_attendees(
    author_client, meeting, reviewer, celery_eager, django_capture_on_commit_callbacks
):
    item = meeting.agenda.get()
    AgendaItem.objects.filter(pk=item.pk).update(decision="Publish after the TTL fix")
    new = ActionItemFactory(postmortem=item.postmortem, owner=reviewer, title="Lower DNS TTL")
    meeting.action_items.add(new)
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(reverse("reviews:end", args=[meeting.pk]))
    assert response["Location"] == meeting.get_absolute_url()
    meeting.refresh_from_db()
    assert meeting.ended_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["author@example.com", "reviewer@example.com"]
    message = next(m for m in mail.outbox if m.to == ["reviewer@example.com"])
    assert "Publish after the TTL fix" in message.body
    assert (
        f"Lower DNS TTL — owner {reviewer.get_full_name()}, due {new.due_date:%Y-%m-%d}"
        in message.body
    )


def test_the_summary_leaves_out_restricted_postmortems_a_person_may_not_read(
    meeting, reviewer, outsider, complete_postmortem
):
    from reviews.services import meeting_send_summary

    outsider.email = "outsider@example.com"
    outsider.save()
    meeting.attendance.create(user=outsider)
    complete_postmortem.restricted = True
    complete_postmortem.save()
    AgendaItem.objects.update(decision="Keep the secret")
    assert meeting_send_summary(meeting_id=meeting.pk) == 3
    bodies = {m.to[0]: m.body for m in mail.outbox}
    # Its reader is told where to read it; its text stays on the site (access.outbound).
    reference = f"{complete_postmortem.reference}: restricted, on Debrief only"
    assert reference in bodies["author@example.com"]
    assert complete_postmortem.reference not in bodies["outsider@example.com"]
    assert all("Keep the secret" not in body for body in bodies.values())
