"""Interview notes per participant: private until shared, proposing timeline events."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from postmortems import access
from postmortems.models import Interview, ProposedEvent, TimelineEvent
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

NOTES = {
    "participant_name": "",
    "interviewed_at": "2026-03-03T10:00",
    "knew": "The deploy had **passed** canary.",
    "saw": "Error graphs flat on the dashboard <script>alert(1)</script>",
    "made_sense": "Waiting for the cache to warm seemed safe.",
}


@pytest.fixture
def participant(db):
    return UserFactory(username="bea", first_name="Bea", last_name="Responder")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _interview(postmortem, participant, **fields) -> Interview:
    defaults = {
        "facilitator": postmortem.owner,
        "participant": participant,
        "interviewed_at": datetime(2026, 3, 3, 10, tzinfo=UTC),
        "saw": "Bea saw the queue grow",
    }
    return Interview.objects.create(postmortem=postmortem, **{**defaults, **fields})


def test_the_facilitator_writes_notes_for_a_participant(author, postmortem, participant):
    response = _client(author).post(
        reverse("postmortems:interview_create", args=[postmortem.pk]),
        {**NOTES, "participant": participant.pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    interview = Interview.objects.get()
    assert (interview.facilitator, interview.participant) == (author, participant)
    assert "<strong>passed</strong>" in body  # Markdown, sanitized
    assert "<script>" not in body and "Private" in body


def test_notes_need_someone_interviewed(author_client, postmortem):
    response = author_client.post(
        reverse("postmortems:interview_create", args=[postmortem.pk]), NOTES
    )
    assert "Say who was interviewed" in response.content.decode()
    assert not Interview.objects.exists()


def test_only_editors_facilitate(postmortem, participant):
    url = reverse("postmortems:interview_create", args=[postmortem.pk])
    response = _client(participant).post(url, {**NOTES, "participant": participant.pk})
    assert response.status_code == 403
    assert not Interview.objects.exists()


def test_unshared_notes_are_private_to_facilitator_and_participant(
    postmortem, participant, outsider, admin_user
):
    interview = _interview(postmortem, participant, saw="Private account")
    coauthor = UserFactory(username="coauthor")
    postmortem.coauthors.add(coauthor)
    page = postmortem.get_absolute_url()
    for person in (postmortem.owner, participant):
        assert list(access.readable_interviews(person, postmortem)) == [interview]
        assert "Private account" in _client(person).get(page).content.decode()
    for person in (outsider, coauthor, admin_user):
        assert not access.readable_interviews(person, postmortem).exists()
        assert "Private account" not in _client(person).get(page).content.decode()
        edit = reverse("postmortems:interview_edit", args=[postmortem.pk, interview.pk])
        assert _client(person).get(edit).status_code == 404


def test_shared_notes_are_read_by_whoever_reads_the_postmortem(postmortem, participant, outsider):
    interview = _interview(postmortem, participant, saw="Now everyone's")
    share = reverse("postmortems:interview_share", args=[postmortem.pk, interview.pk])
    assert _client(outsider).post(share).status_code == 404
    _client(participant).post(share)
    interview.refresh_from_db()
    assert interview.shared and interview.shared_at
    assert "Now everyone" in _client(outsider).get(postmortem.get_absolute_url()).content.decode()
    # Readers may read it, not change it.
    edit = reverse("postmortems:interview_edit", args=[postmortem.pk, interview.pk])
    assert _client(outsider).post(edit, {**NOTES, "participant": participant.pk}).status_code == 403


def test_shared_notes_of_a_restricted_postmortem_stay_within_its_readers(participant, outsider):
    secret = PostmortemFactory(restricted=True)
    secret.allowed_users.add(participant)
    interview = _interview(secret, participant, shared=True)
    assert not access.readable_interviews(outsider, secret).exists()
    url = reverse("postmortems:interviews", args=[secret.pk])
    assert _client(outsider).get(url).status_code == 404
    secret.allowed_users.remove(participant)
    assert not access.may_change_interview(participant, interview)


def test_a_stale_edit_is_refused(postmortem, participant):
    interview = _interview(postmortem, participant, knew="First account")
    url = reverse("postmortems:interview_edit", args=[postmortem.pk, interview.pk])
    form = _client(postmortem.owner).get(url).context["form"]
    version = form["version"].value()
    Interview.objects.filter(pk=interview.pk).update(knew="Bea's correction")
    response = _client(postmortem.owner).post(
        url,
        {**NOTES, "participant": participant.pk, "knew": "Overwrite", "version": version},
        HTTP_HX_REQUEST="true",
    )
    interview.refresh_from_db()
    assert interview.knew == "Bea's correction"
    assert "Someone saved a change" in response.content.decode()
    assert response["HX-Retarget"] == f"#interview-{interview.pk}"


def test_a_current_edit_is_saved_by_the_participant(postmortem, participant):
    interview = _interview(postmortem, participant)
    url = reverse("postmortems:interview_edit", args=[postmortem.pk, interview.pk])
    client = _client(participant)
    version = client.get(url).context["form"]["version"].value()
    client.post(url, {**NOTES, "participant": participant.pk, "version": version})
    interview.refresh_from_db()
    assert interview.knew == NOTES["knew"]


def _propose(client, postmortem, interview, when="2026-03-02T14:07", text="Restarted the worker"):
    return client.post(
        reverse("postmortems:proposal_create", args=[postmortem.pk, interview.pk]),
        {"occurred_at": when, "description": text},
        HTTP_HX_REQUEST="true",
    )


def test_a_proposal_accepted_joins_the_timeline_with_its_source(postmortem, participant):
    interview = _interview(postmortem, participant)
    _propose(_client(participant), postmortem, interview)
    proposal = ProposedEvent.objects.get()
    assert proposal.state == "proposed" and not TimelineEvent.objects.exists()
    url = reverse("postmortems:proposal_accept", args=[postmortem.pk, proposal.pk])
    response = _client(postmortem.owner).post(url, HTTP_HX_REQUEST="true")
    assert "timelineChanged" in response["HX-Trigger"]
    event = TimelineEvent.objects.get()
    assert event.description == "Restarted the worker"
    assert event.occurred_at == datetime(2026, 3, 2, 14, 7, tzinfo=UTC)
    assert event.perspective == "Interview with Bea Responder"
    proposal.refresh_from_db()
    assert (proposal.state, proposal.event, proposal.decided_by) == (
        "accepted",
        event,
        postmortem.owner,
    )
    page = _client(postmortem.owner).get(postmortem.get_absolute_url()).content.decode()
    assert "from Interview with Bea Responder" in page
    _client(postmortem.owner).post(url)  # accepting twice adds nothing
    assert TimelineEvent.objects.count() == 1


def test_a_proposal_dismissed_stays_out_of_the_timeline(postmortem, participant):
    interview = _interview(postmortem, participant)
    _propose(_client(postmortem.owner), postmortem, interview)
    proposal = ProposedEvent.objects.get()
    url = reverse("postmortems:proposal_dismiss", args=[postmortem.pk, proposal.pk])
    _client(postmortem.owner).post(url)
    proposal.refresh_from_db()
    assert proposal.state == "dismissed"
    assert not TimelineEvent.objects.exists()


def test_only_editors_decide_and_only_on_notes_they_can_read(postmortem, participant):
    coauthor = UserFactory(username="coauthor")
    postmortem.coauthors.add(coauthor)
    interview = _interview(postmortem, participant)
    _propose(_client(participant), postmortem, interview)
    proposal = ProposedEvent.objects.get()
    accept = reverse("postmortems:proposal_accept", args=[postmortem.pk, proposal.pk])
    assert _client(participant).post(accept).status_code == 403  # not an editor
    assert _client(coauthor).post(accept).status_code == 404  # an editor, notes still private
    interview.share()
    assert _client(coauthor).post(accept).status_code == 302
    assert TimelineEvent.objects.get().perspective == "Interview with Bea Responder"


def test_a_bad_proposal_says_what_is_wrong_in_place(postmortem, participant):
    interview = _interview(postmortem, participant)
    response = _propose(_client(participant), postmortem, interview, when="yesterday", text="")
    assert response["HX-Retarget"] == f"#proposal-form-{interview.pk}"
    assert "Enter a valid date/time" in response.content.decode()
    assert not ProposedEvent.objects.exists()


def test_the_timeline_by_perspective_puts_accounts_side_by_side(postmortem, participant):
    other = UserFactory(username="cy", first_name="Cy", last_name="Oncall")
    TimelineEvent.objects.create(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC),
        description="Alert fired",
    )
    bea = _interview(postmortem, participant, shared=True)
    cy = _interview(postmortem, other)  # private: only its two people see its column
    ProposedEvent.objects.create(
        interview=bea, occurred_at=datetime(2026, 3, 2, 14, 5, 30, tzinfo=UTC), description="Paged"
    )
    ProposedEvent.objects.create(
        interview=cy, occurred_at=datetime(2026, 3, 2, 14, 9, tzinfo=UTC), description="Cy saw it"
    )
    url = reverse("postmortems:perspectives", args=[postmortem.pk])
    response = _client(participant).get(url)
    headings = [column.heading for column in response.context["columns"]]
    assert headings == ["Timeline", "Bea Responder"]
    (row,) = response.context["rows"]  # the same minute: one row, two columns
    assert [[e.description for e in cell] for cell in row.cells] == [["Alert fired"], ["Paged"]]
    owner_view = _client(postmortem.owner).get(url)
    assert [c.heading for c in owner_view.context["columns"]][-1] == "Cy Oncall"
    assert "Cy saw it" in owner_view.content.decode()
