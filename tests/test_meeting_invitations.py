"""Meeting invitations by email: .ics attached, updates with a higher SEQUENCE, cancellations."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from reviews.models import Invitation, Meeting
from reviews.outbound import outbound_agenda
from reviews.services import meeting_create, meeting_send_invitation
from reviews.tasks import send_meeting_invitation
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

NEXT_WEEK = "2030-03-04T15:00"


@pytest.fixture
def planned(
    author_client, reviewer, complete_postmortem, celery_eager, django_capture_on_commit_callbacks
):
    """Plan a meeting through the page, with the invitation ticked (the default)."""

    def plan(**extra):
        data = {
            "title": "Weekly review",
            "starts_at": NEXT_WEEK,
            "duration_minutes": "45",
            "location": "Room 4",
            "attendees": [reviewer.pk],
            "agenda": [complete_postmortem.pk],
            "send_invitation": "on",
            **extra,
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = author_client.post(reverse("reviews:create"), data)
        assert response.status_code == 302, response.context["form"].errors
        return Meeting.objects.get()

    return plan


def _edit(client, meeting, capture, **changes):
    form = client.get(reverse("reviews:edit", args=[meeting.pk])).context["form"]
    data = {
        "version": form["version"].value(),
        "title": meeting.title,
        "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "attendees": form["attendees"].value(),
        "agenda": form["agenda"].value(),
        **changes,
    }
    with capture(execute=True):
        return client.post(reverse("reviews:edit", args=[meeting.pk]), data)


def _calendar(message):
    part = next(a for a in message.attachments if a.get_content_type() == "text/calendar")
    return part, Calendar.from_ical(part.get_payload(decode=True))


def _event(message):
    return _calendar(message)[1].walk("VEVENT")[0]


def _attendees(event) -> list[str]:
    found = event.get("attendee", [])
    return sorted(str(a) for a in (found if isinstance(found, list) else [found]))


def _everything_sent(message) -> str:
    part, _ = _calendar(message)
    html = "".join(content for content, _ in message.alternatives)
    return "\n".join([message.subject, message.body, html, part.get_payload(decode=True).decode()])


def test_planning_a_meeting_emails_everyone_an_ics_request(planned, author, reviewer):
    meeting = planned()
    assert sorted(m.to[0] for m in mail.outbox) == ["author@example.com", "reviewer@example.com"]
    message = next(m for m in mail.outbox if m.to == ["reviewer@example.com"])
    assert message.subject.startswith("Invitation: Weekly review")
    assert message.reply_to == ["author@example.com"]
    part, calendar = _calendar(message)
    assert part.get_param("method") == "REQUEST"
    assert str(calendar["method"]) == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["uid"]) == f"meeting-{meeting.pk}@debrief"
    assert event["sequence"] == 0
    assert str(event["organizer"]) == "mailto:author@example.com"
    assert _attendees(event) == ["mailto:author@example.com", "mailto:reviewer@example.com"]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=45)
    assert str(event["location"]) == "Room 4"
    sent = Invitation.objects.filter(meeting=meeting)
    assert sorted(sent.values_list("email", "method", "sequence")) == [
        ("author@example.com", "REQUEST", 0),
        ("reviewer@example.com", "REQUEST", 0),
    ]


def test_planning_quietly_sends_nothing_until_the_button_is_pressed(
    planned, author_client, celery_eager, django_capture_on_commit_callbacks
):
    meeting = planned(send_invitation="")
    assert mail.outbox == []
    page = author_client.get(meeting.get_absolute_url()).content.decode()
    assert "Send invitation" in page and "None yet." in page
    with django_capture_on_commit_callbacks(execute=True):
        author_client.post(reverse("reviews:invite", args=[meeting.pk]))
    assert len(mail.outbox) == 2
    page = author_client.get(meeting.get_absolute_url()).content.decode()
    assert "Invitations sent" in page and "Rui Reviewer" in page and "None yet." not in page


def test_a_change_sends_an_update_with_the_same_uid_and_a_higher_sequence(
    planned, author_client, django_capture_on_commit_callbacks
):
    meeting = planned()
    first_uid = str(_event(mail.outbox[0])["uid"])
    mail.outbox.clear()
    response = _edit(
        author_client, meeting, django_capture_on_commit_callbacks, starts_at="2030-03-05T10:00"
    )
    assert response["Location"] == meeting.get_absolute_url()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject.startswith("Updated invitation: Weekly review")
        event = _event(message)
        assert str(event["uid"]) == first_uid
        assert event["sequence"] == 1
        assert timezone.localtime(event.decoded("dtstart")).strftime("%d %H:%M") == "05 10:00"
    page = author_client.get(meeting.get_absolute_url()).content.decode()
    assert page.count("<td>Update</td>") == 2 and page.count("<td>Invitation</td>") == 2


def test_a_removed_attendee_gets_a_cancellation_and_a_new_one_an_invitation(
    planned, author_client, reviewer, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(username="newcomer")
    meeting = planned()
    mail.outbox.clear()
    _edit(author_client, meeting, django_capture_on_commit_callbacks, attendees=[newcomer.pk])
    by_person = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_person) == [
        "author@example.com",
        "newcomer@example.com",
        "reviewer@example.com",
    ]
    cancelled = by_person["reviewer@example.com"]
    part, calendar = _calendar(cancelled)
    assert part.get_param("method") == "CANCEL" and str(calendar["method"]) == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == 1
    assert str(event["uid"]) == f"meeting-{meeting.pk}@debrief"
    assert _attendees(event) == ["mailto:reviewer@example.com"]
    assert cancelled.subject.startswith("Cancelled for you")
    update = _event(by_person["newcomer@example.com"])
    assert _attendees(update) == ["mailto:author@example.com", "mailto:newcomer@example.com"]
    assert Invitation.objects.get(email="reviewer@example.com", sequence=1).method == "CANCEL"


def test_a_change_to_the_agenda_or_length_sends_an_update_and_saving_unchanged_does_not(
    planned, author_client, django_capture_on_commit_callbacks
):
    meeting = planned()
    mail.outbox.clear()
    _edit(author_client, meeting, django_capture_on_commit_callbacks)
    meeting.refresh_from_db()
    assert (mail.outbox, meeting.sequence) == ([], 0)
    other = PostmortemFactory(title="Queue backlog")
    _edit(author_client, meeting, django_capture_on_commit_callbacks, agenda=[other.pk])
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert [a.postmortem for a in meeting.agenda.all()] == [other]
    assert "Queue backlog" in str(_event(mail.outbox[0])["description"])
    mail.outbox.clear()
    _edit(author_client, meeting, django_capture_on_commit_callbacks, duration_minutes="90")
    assert {_event(m)["sequence"] for m in mail.outbox} == {2}


def test_changes_before_any_invitation_was_sent_email_nobody(
    planned, author_client, django_capture_on_commit_callbacks
):
    meeting = planned(send_invitation="")
    _edit(author_client, meeting, django_capture_on_commit_callbacks, location="Room 5")
    meeting.refresh_from_db()
    assert meeting.location == "Room 5" and mail.outbox == []


def test_a_restricted_postmortem_is_named_only_by_its_reference_and_link(
    planned, author_client, complete_postmortem, settings
):
    secret = PostmortemFactory(
        title="Payroll export leaked", summary="Payroll secret summary", restricted=True
    )
    secret.owner = complete_postmortem.owner
    secret.save()
    meeting = planned(agenda=[complete_postmortem.pk, secret.pk])
    link = f"{settings.SITE_URL}{secret.get_absolute_url()}"
    for message in mail.outbox:
        sent = _everything_sent(message)
        assert "Payroll" not in sent
        assert secret.reference in sent and link in sent
        assert f"{complete_postmortem.reference}: {complete_postmortem.title}" in sent
    download = author_client.get(reverse("reviews:ics", args=[meeting.pk])).content.decode()
    assert "Payroll" not in download
    assert link in download.replace("\r\n ", "")


def test_the_agenda_names_restricted_postmortems_by_reference_only(author):
    open_one = PostmortemFactory(title="DNS outage")
    secret = PostmortemFactory(title="Payroll export leaked", restricted=True)
    meeting = meeting_create(
        data={"starts_at": timezone.now()},
        attendees=[],
        agenda=[open_one, secret],
        facilitator=author,
    )
    names = [name for name, _ in outbound_agenda(meeting)]
    assert names == [f"PM-{open_one.pk}: DNS outage", f"PM-{secret.pk}"]
    assert [name for name, _ in outbound_agenda(meeting, reader=author)] == names[:1]


def test_a_stale_edit_form_does_not_overwrite_a_newer_change(
    planned, author_client, django_capture_on_commit_callbacks
):
    meeting = planned()
    url = reverse("reviews:edit", args=[meeting.pk])
    stale = author_client.get(url).context["form"]["version"].value()
    _edit(author_client, meeting, django_capture_on_commit_callbacks, location="Room 9")
    response = _edit(
        author_client, meeting, django_capture_on_commit_callbacks, version=stale, title="Mine"
    )
    assert response.status_code == 200
    assert "Someone saved a change" in response.content.decode()
    assert 'value="Mine"' in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.title, meeting.location) == ("Weekly review", "Room 9")


def test_only_the_facilitator_edits_or_sends_and_a_held_meeting_no_longer_changes(
    planned, reviewer, author_client, client
):
    meeting = planned()
    held = meeting_create(
        data={"starts_at": timezone.now()}, attendees=[], agenda=[], facilitator=meeting.facilitator
    )
    Meeting.objects.filter(pk=held.pk).update(ended_at=timezone.now())
    response = author_client.get(reverse("reviews:edit", args=[held.pk]))
    assert response["Location"] == held.get_absolute_url()
    client.force_login(reviewer)  # the same client as author_client, now someone else
    assert client.get(reverse("reviews:edit", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("reviews:invite", args=[meeting.pk])).status_code == 403


def test_ending_a_future_meeting_asks_for_confirmation_first(
    planned, author_client, celery_eager, django_capture_on_commit_callbacks
):
    meeting = planned()
    url = reverse("reviews:end", args=[meeting.pk])
    response = author_client.post(url)
    assert response.status_code == 200
    assert "still ahead" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.ended_at is None
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(url, {"confirm": "yes"})
    assert response["Location"] == meeting.get_absolute_url()
    meeting.refresh_from_db()
    assert meeting.ended_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_invitation_task_sends_through_a_real_worker(celery_app, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    meeting = meeting_create(
        data={"starts_at": timezone.now() + timedelta(days=2)},
        attendees=[ben],
        agenda=[],
        facilitator=ana,
    )
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert send_meeting_invitation.delay(meeting.pk, []).get(timeout=30) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "ben@example.com"]
    assert Invitation.objects.filter(meeting=meeting, method="REQUEST").count() == 2


def test_the_service_sends_a_cancellation_only_to_people_who_had_an_invitation(author, reviewer):
    meeting = meeting_create(
        data={"starts_at": timezone.now()}, attendees=[], agenda=[], facilitator=author
    )
    assert meeting_send_invitation(meeting_id=meeting.pk, removed_ids=[reviewer.pk]) == 1
    assert [m.to for m in mail.outbox] == [["author@example.com"]]
