from datetime import UTC, datetime

import pytest
from django.urls import reverse

from postmortems.forms import TimelineEventForm
from postmortems.models import TimelineEvent
from tests.factories import TimelineEventFactory

pytestmark = pytest.mark.django_db


def _add(client, postmortem, **data):
    defaults = {"occurred_at": "2026-03-02T14:05", "kind": "note", "description": "Alert fired"}
    return client.post(
        reverse("postmortems:event_create", args=[postmortem.pk]),
        {**defaults, **data},
        HTTP_HX_REQUEST="true",
    )


def test_adding_an_event_returns_the_timeline_in_time_order(author_client, postmortem):
    _add(author_client, postmortem, occurred_at="2026-03-02T14:30", description="Later")
    response = _add(author_client, postmortem, occurred_at="2026-03-02T14:10", description="Sooner")
    body = response.content.decode()
    assert body.index("Sooner") < body.index("Later")
    assert response["HX-Trigger"] == "documentChanged"


def test_event_times_are_in_the_incident_time_zone(author_client, postmortem):
    postmortem.time_zone = "Asia/Tokyo"
    postmortem.save()
    _add(author_client, postmortem, occurred_at="2026-03-02T23:05")
    event = TimelineEvent.objects.get()
    assert event.occurred_at == datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "2026-03-02 23:05" in page


def test_a_detection_event_sets_the_detected_time(author_client, postmortem):
    _add(author_client, postmortem, kind="detection", occurred_at="2026-03-02T14:07")
    postmortem.refresh_from_db()
    assert postmortem.detected_at == datetime(2026, 3, 2, 14, 7, tzinfo=UTC)


def test_a_resolution_before_detection_warns(author_client, postmortem):
    _add(author_client, postmortem, kind="detection", occurred_at="2026-03-02T14:30")
    _add(author_client, postmortem, kind="resolution", occurred_at="2026-03-02T14:20")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Timestamps out of order: Resolved (2026-03-02 14:20) is before detected" in page


def test_a_bad_event_keeps_the_text_and_says_what_is_wrong(author_client, postmortem):
    response = _add(author_client, postmortem, occurred_at="yesterday-ish", description="Kept")
    body = response.content.decode()
    assert "Enter a valid date/time." in body and "Kept" in body
    assert not TimelineEvent.objects.exists()


def test_editing_an_event_moves_it_into_place(author_client, postmortem):
    first = TimelineEventFactory(postmortem=postmortem, description="First")
    second = TimelineEventFactory(postmortem=postmortem, description="Second")
    response = author_client.post(
        reverse("postmortems:event_edit", args=[postmortem.pk, second.pk]),
        {
            "occurred_at": "2026-03-02T13:00",
            "kind": "note",
            "description": "Second, earlier",
            "version": TimelineEventForm(instance=second).saved_version(),
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.index("Second, earlier") < body.index(first.description)


def test_deleting_an_event(author_client, postmortem):
    event = TimelineEventFactory(postmortem=postmortem)
    author_client.post(
        reverse("postmortems:event_delete", args=[postmortem.pk, event.pk]), HTTP_HX_REQUEST="true"
    )
    assert not TimelineEvent.objects.exists()


def test_events_of_another_postmortem_are_not_reachable(author_client, postmortem):
    foreign = TimelineEventFactory()
    url = reverse("postmortems:event_delete", args=[postmortem.pk, foreign.pk])
    assert author_client.post(url).status_code == 404
    assert TimelineEvent.objects.filter(pk=foreign.pk).exists()


def test_outsiders_cannot_change_the_timeline(outsider_client, postmortem):
    assert _add(outsider_client, postmortem).status_code == 403
    assert not TimelineEvent.objects.exists()
