from datetime import UTC, datetime

import pytest
from django.urls import reverse

from postmortems.forms import SECTIONS

pytestmark = pytest.mark.django_db


def _edit_url(postmortem, section):
    return reverse("postmortems:section_edit", args=[postmortem.pk, section])


def _version(postmortem, section) -> str:
    """The version the section's form carries when it opens."""
    return SECTIONS[section][1](instance=postmortem).saved_version()


def test_a_section_opens_as_a_form_in_place(author_client, postmortem):
    response = author_client.get(_edit_url(postmortem, "summary"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert '<section id="section-summary"' in body and "<textarea" in body
    assert "<html" not in body


def test_saving_a_section_returns_its_display(author_client, postmortem):
    response = author_client.post(
        _edit_url(postmortem, "summary"),
        {"summary": "The *queue* stalled.", "version": _version(postmortem, "summary")},
        HTTP_HX_REQUEST="true",
    )
    assert "<em>queue</em>" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.summary == "The *queue* stalled."


def test_without_htmx_saving_redirects_to_the_document(author_client, postmortem):
    response = author_client.post(
        _edit_url(postmortem, "impact"),
        {"impact": "Slow logins.", "version": _version(postmortem, "impact")},
    )
    assert response["Location"] == postmortem.get_absolute_url()


def test_key_times_before_the_start_are_refused_and_nothing_is_lost(author_client, postmortem):
    response = author_client.post(
        _edit_url(postmortem, "details"),
        {
            "title": "Renamed",
            "severity": "2",
            "version": _version(postmortem, "details"),
            "time_zone": "UTC",
            "started_at": "2026-03-02T14:00",
            "detected_at": "2026-03-02T13:00",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Detected cannot be before the impact started." in body
    assert 'value="Renamed"' in body
    postmortem.refresh_from_db()
    assert postmortem.title != "Renamed"


def test_details_are_saved_in_the_incident_time_zone(author_client, postmortem):
    author_client.post(
        _edit_url(postmortem, "details"),
        {
            "title": "Renamed",
            "severity": "2",
            "version": _version(postmortem, "details"),
            "time_zone": "America/New_York",
            "started_at": "2026-03-02T09:00",
            "resolved_at": "2026-03-02T10:30",
            "new_services": "auth",
        },
        HTTP_HX_REQUEST="true",
    )
    postmortem.refresh_from_db()
    assert postmortem.started_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert postmortem.time_to_resolve.total_seconds() == 90 * 60


def test_a_huge_paste_gets_a_clear_message(author_client, postmortem):
    response = author_client.post(
        _edit_url(postmortem, "summary"), {"summary": "x" * 100_001}, HTTP_HX_REQUEST="true"
    )
    assert "at most 100000 characters" in response.content.decode()


def test_an_unknown_section_is_a_404(author_client, postmortem):
    assert author_client.get(_edit_url(postmortem, "nope")).status_code == 404


def test_only_editors_may_edit(outsider_client, postmortem):
    response = outsider_client.post(_edit_url(postmortem, "summary"), {"summary": "mine now"})
    assert response.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.summary != "mine now"
    page = outsider_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Edit summary" not in page


def test_co_authors_may_edit(client, postmortem, outsider):
    postmortem.coauthors.add(outsider)
    client.force_login(outsider)
    response = client.post(
        _edit_url(postmortem, "summary"),
        {"summary": "co-written", "version": _version(postmortem, "summary")},
    )
    assert response.status_code == 302
