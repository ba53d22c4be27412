import pytest
from django.urls import reverse

from postmortems.models import LintAcknowledgement, Status
from tests.factories import TimelineEventFactory

pytestmark = pytest.mark.django_db

BLAMEFUL = "The on-call should have paged the database team."


@pytest.fixture
def blameful(complete_postmortem):
    postmortem = complete_postmortem
    postmortem.summary = BLAMEFUL
    postmortem.save()
    return postmortem


def _acknowledge(client, postmortem, reason="Quoted from the customer's ticket."):
    return client.post(
        reverse("postmortems:lint_acknowledge", args=[postmortem.pk]),
        {"location": "summary", "rule": _rule(client, postmortem), "text": "should have paged",
         "reason": reason},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip


def _rule(client, postmortem):
    response = client.get(reverse("postmortems:lint_summary", args=[postmortem.pk]))
    return response.context["lint"].findings[0].finding.rule


def test_the_page_shows_a_lint_summary_linked_to_each_place(author_client, blameful):
    event = TimelineEventFactory(
        postmortem=blameful, description="Greta failed to update the rules."
    )
    page = author_client.get(blameful.get_absolute_url()).content.decode()
    assert "2 warnings to reword or acknowledge" in page
    assert 'href="#section-summary"' in page and "should have paged" in page
    assert f'href="#event-{event.pk}"' in page


def test_submitting_with_unacknowledged_warnings_is_refused_with_the_reason(
    author_client, blameful
):
    response = author_client.post(reverse("reviews:submit", args=[blameful.pk]))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Not submitted for review yet." in body
    assert "Summary: “should have paged” (counterfactual) is an unacknowledged" in body
    blameful.refresh_from_db()
    assert blameful.status == Status.DRAFT


def test_an_acknowledged_warning_no_longer_blocks_and_records_who_and_why(
    author_client, author, blameful
):
    response = _acknowledge(author_client, blameful)
    assert "no open warnings" in response.content.decode()
    acknowledgement = LintAcknowledgement.objects.get()
    assert acknowledgement.acknowledged_by == author
    assert acknowledgement.reason == "Quoted from the customer's ticket."
    response = author_client.post(reverse("reviews:submit", args=[blameful.pk]))
    assert response.status_code == 302
    blameful.refresh_from_db()
    assert blameful.status == Status.IN_REVIEW


def test_an_acknowledgement_needs_a_reason(author_client, blameful):
    response = _acknowledge(author_client, blameful, reason="")
    assert response.status_code == 200
    assert not LintAcknowledgement.objects.exists()


def test_new_blameful_words_need_their_own_acknowledgement(author_client, blameful):
    _acknowledge(author_client, blameful)
    blameful.summary = BLAMEFUL + " The engineer was careless."
    blameful.save()
    response = author_client.post(reverse("reviews:submit", args=[blameful.pk]))
    assert response.status_code == 409
    assert "careless" in response.content.decode()


def test_outsiders_cannot_acknowledge_or_submit(outsider_client, blameful):
    assert _acknowledge(outsider_client, blameful).status_code == 403
    assert not LintAcknowledgement.objects.exists()
    response = outsider_client.post(reverse("reviews:submit", args=[blameful.pk]))
    assert response.status_code == 403


def test_a_clean_draft_is_submitted(author_client, complete_postmortem):
    response = author_client.post(reverse("reviews:submit", args=[complete_postmortem.pk]))
    assert response.status_code == 302
    complete_postmortem.refresh_from_db()
    assert complete_postmortem.status == Status.IN_REVIEW


def test_a_reader_gets_the_summary_from_its_own_url_once_the_page_has_loaded(
    outsider_client, blameful
):
    blameful.status = Status.PUBLISHED
    blameful.save()
    page = outsider_client.get(blameful.get_absolute_url()).content.decode()
    summary_url = reverse("postmortems:lint_summary", args=[blameful.pk])
    assert f'hx-get="{summary_url}" hx-trigger="load, documentChanged from:body"' in page
    assert "warning to reword" not in page
    summary = outsider_client.get(summary_url).content.decode()
    assert "1 warning to reword or acknowledge" in summary
    assert "load, " not in summary  # the loaded summary does not fetch itself again
