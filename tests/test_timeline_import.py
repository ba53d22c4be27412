from datetime import UTC, datetime

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from config.environment import env_phrases
from postmortems.chatlog import MAX_LINES
from postmortems.models import TimelineEvent
from tests.factories import TimelineEventFactory

pytestmark = pytest.mark.django_db

LOG = "14:02 anna: error rate at 38%\n[2:09 PM] Ben: rolled back\nnot a message"
INCIDENT = """\
14:02 anna: checkout alert fired
14:09 ben: rolled back the deploy
14:20 anna: error rate is down to 0.1%
14:30 ben: all clear
"""


def _post(client, postmortem, **extra):
    return client.post(
        reverse("postmortems:timeline_import", args=[postmortem.pk]),
        {"text": LOG, "day": "2026-03-02", **extra},
    )


def _import(client, postmortem, text, **kinds):
    """Preview `text`, keep the proposed kinds but those given (kind_<line>=…), and import."""
    preview = _post(client, postmortem, text=text, preview="")
    form = preview.context["kinds"]
    data = {name: form[name].value() for name in form.fields} | kinds
    return _post(client, postmortem, text=text, confirm="", **data)


def _at(hour, minute):
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


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


def test_preview_proposes_a_kind_for_each_line_from_its_words(author_client, postmortem):
    response = _post(author_client, postmortem, text=INCIDENT, preview="")
    form = response.context["kinds"]
    assert [form[f"kind_{line}"].value() for line in range(1, 5)] == [
        "detection",
        "mitigation",
        "note",
        "resolution",
    ]
    assert '<option value="detection" selected>Detection</option>' in response.content.decode()


@override_settings(CHAT_IMPORT_PHRASES={"detection": ["down to"], "nonsense": ["error rate"]})
def test_the_teams_own_words_propose_kinds_too(author_client, postmortem):
    form = _post(author_client, postmortem, text=INCIDENT, preview="").context["kinds"]
    assert form["kind_3"].value() == "detection"


def test_importing_keeps_the_chosen_kinds_and_sets_the_key_times(author_client, postmortem):
    response = _import(author_client, postmortem, INCIDENT, kind_2="change", kind_3="mitigation")
    assert response["Location"].endswith("#timeline")
    assert list(postmortem.events.values_list("kind", flat=True)) == [
        "detection",
        "change",
        "mitigation",
        "resolution",
    ]
    postmortem.refresh_from_db()
    assert (postmortem.detected_at, postmortem.mitigated_at, postmortem.resolved_at) == (
        _at(14, 2),
        _at(14, 20),
        _at(14, 30),
    )


def test_a_tampered_kind_is_refused_with_a_message_and_keeps_the_paste(author_client, postmortem):
    response = _import(author_client, postmortem, INCIDENT, kind_2="root_cause")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: choose a kind" in body
    assert "Select a valid choice. root_cause is not one of the available choices." in body
    assert "14:30 ben: all clear" in body
    assert response.context["kinds"]["kind_1"].value() == "detection"
    assert not TimelineEvent.objects.exists()


def test_kinds_chosen_for_another_text_are_not_imported(author_client, postmortem):
    preview = _post(author_client, postmortem, text=INCIDENT, preview="").context["kinds"]
    changed = "14:00 carl: deploy started\n" + INCIDENT
    data = {name: preview[name].value() for name in preview.fields}
    body = _post(author_client, postmortem, text=changed, confirm="", **data).content.decode()
    assert "The log changed after the preview" in body
    assert "Import 5 events" in body
    assert not TimelineEvent.objects.exists()


def test_confirming_without_a_preview_only_shows_the_preview(author_client, postmortem):
    assert _post(author_client, postmortem, confirm="").status_code == 200
    assert not TimelineEvent.objects.exists()


def test_lines_already_on_the_timeline_are_marked_and_not_imported_twice(author_client, postmortem):
    TimelineEventFactory(
        postmortem=postmortem, occurred_at=_at(14, 2), description="anna: checkout alert fired"
    )
    text = INCIDENT + "14:30 ben: all clear\n"
    response = _post(author_client, postmortem, text=text, preview="")
    body = response.content.decode()
    assert "Already on the timeline" in body and "Repeats line 4" in body
    assert "kind_1" not in response.context["kinds"].fields
    assert "Import 3 events" in body
    assert "2 events are already on the timeline or repeated and will be skipped." in body

    response = _import(author_client, postmortem, text)
    assert postmortem.events.count() == 4
    body = author_client.get(response["Location"]).content.decode()
    assert "Added 3 events to the timeline; 2 repeated events were skipped." in body


def test_counts_are_singular_for_one(author_client, postmortem):
    text = "14:02 anna: checkout alert fired\n14:02 anna: checkout alert fired"
    body = _post(author_client, postmortem, text=text, preview="").content.decode()
    assert "Import 1 event<" in body
    assert "1 event is already on the timeline or repeated and will be skipped." in body

    response = _import(author_client, postmortem, text)
    body = author_client.get(response["Location"]).content.decode()
    assert "Added 1 event to the timeline; 1 repeated event was skipped." in body

    body = _post(author_client, postmortem, text=text[:32], preview="").content.decode()
    assert "Preview: 1 event (" in body
    assert "This event is already on the timeline: there is nothing to import." in body
    assert "Import 1 event" not in body


def test_a_kind_for_each_line_of_the_longest_log_is_accepted(author_client, postmortem):
    kinds = {f"kind_{line}": "note" for line in range(1, MAX_LINES + 1)}
    assert _post(author_client, postmortem, confirm="", **kinds).status_code == 200


def test_an_empty_or_oversized_paste_gets_a_message(author_client, postmortem):
    body = _post(author_client, postmortem, text="", preview="").content.decode()
    assert "This field is required." in body
    body = _post(author_client, postmortem, text="x" * 200_001, preview="").content.decode()
    assert "at most 200000 characters" in body


def test_outsiders_cannot_import(outsider_client, postmortem):
    assert _post(outsider_client, postmortem, confirm="").status_code == 403


def test_the_setting_reads_kinds_and_phrases_and_refuses_a_group_without_a_kind(monkeypatch):
    monkeypatch.setenv("CHAT_IMPORT_PHRASES", "Detection: pd fired, sev2 declared; note: paged;")
    assert env_phrases("CHAT_IMPORT_PHRASES") == {
        "detection": ["pd fired", "sev2 declared"],
        "note": ["paged"],
    }
    monkeypatch.setenv("CHAT_IMPORT_PHRASES", "pd fired")
    with pytest.raises(ImproperlyConfigured, match="needs a kind before a colon"):
        env_phrases("CHAT_IMPORT_PHRASES")


@override_settings(CHAT_IMPORT_PHRASES={"detect": ["pd fired"]})
def test_an_unknown_kind_in_the_setting_fails_the_start_up_check():
    errors = [e for e in run_checks() if e.id == "postmortems.E001"]
    assert [e.msg for e in errors] == ["CHAT_IMPORT_PHRASES names the unknown kind “detect”."]
