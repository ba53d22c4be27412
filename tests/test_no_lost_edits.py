import re

import pytest
from django.urls import reverse

from postmortems.models import Draft
from tests.factories import TimelineEventFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coauthor_client(client, postmortem):
    # A second browser: the co-author edits the same postmortem at the same time.
    from django.test import Client

    coauthor = UserFactory(username="coauthor")
    postmortem.coauthors.add(coauthor)
    other = Client()
    other.force_login(coauthor)
    return other


def _version(response) -> str:
    return re.search(r'name="version" value="([0-9a-f]*)"', response.content.decode())[1]


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
