import pytest
from django.urls import reverse

from postmortems.models import TimelineEvent

pytestmark = pytest.mark.django_db

LOG = "14:02 anna: error rate at 38%\n[2:09 PM] Ben: rolled back\nnot a message"


def _post(client, postmortem, **extra):
    return client.post(
        reverse("postmortems:timeline_import", args=[postmortem.pk]),
        {"text": LOG, "day": "2026-03-02", **extra},
    )


def test_the_form_starts_on_the_day_the_incident_started(author_client, postmortem):
    response = author_client.get(reverse("postmortems:timeline_import", args=[postmortem.pk]))
    assert 'value="2026-03-02"' in response.content.decode()


def test_preview_shows_events_and_unreadable_lines_and_saves_nothing(author_client, postmortem):
    response = _post(author_client, postmortem, preview="")
    body = response.content.decode()
    assert "Preview: 2 events" in body
    assert "Line 3" in body and "not a message" in body
    assert "Import 2 events" in body
    assert not TimelineEvent.objects.exists()


def test_confirming_imports_the_events_and_skips_them_the_second_time(author_client, postmortem):
    response = _post(author_client, postmortem, confirm="")
    assert response["Location"].endswith("#timeline")
    assert list(postmortem.events.values_list("description", flat=True)) == [
        "anna: error rate at 38%",
        "Ben: rolled back",
    ]
    _post(author_client, postmortem, confirm="")
    assert postmortem.events.count() == 2


def test_an_empty_or_oversized_paste_gets_a_message(author_client, postmortem):
    body = _post(author_client, postmortem, text="", preview="").content.decode()
    assert "This field is required." in body
    body = _post(author_client, postmortem, text="x" * 200_001, preview="").content.decode()
    assert "at most 200000 characters" in body


def test_outsiders_cannot_import(outsider_client, postmortem):
    assert _post(outsider_client, postmortem, confirm="").status_code == 403
