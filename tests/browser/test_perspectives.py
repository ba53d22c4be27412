import pytest
from playwright.sync_api import expect

from postmortems.models import Interview, TimelineEvent
from tests.browser.conftest import choose, log_in
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_facilitator_notes_an_interview_accepts_its_event_and_compares_perspectives(page, author):
    UserFactory(username="bea", first_name="Bea", last_name="Responder")
    postmortem = PostmortemFactory(owner=author, title="Queue backlog")
    TimelineEvent.objects.create(
        postmortem=postmortem, occurred_at=postmortem.started_at, description="Alert fired"
    )
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())

    interviews = page.locator("#interviews")
    interviews.get_by_text("Add interview notes").click()
    choose(interviews, "Participant", "Bea Responder (bea)")
    interviews.get_by_label("Interviewed on").fill("2026-03-03T10:00")
    interviews.get_by_label("What they knew").fill("The deploy had passed canary.")
    interviews.get_by_label("What they saw at the time").fill("The queue graph was **flat**.")
    interviews.get_by_label("What made sense to them then").fill("Waiting seemed safe.")
    interviews.get_by_role("button", name="Save notes").click()

    note = page.locator("article.interview")
    expect(note).to_contain_text("Bea Responder")
    expect(note.locator("strong")).to_have_text("flat")
    expect(note.locator(".badge")).to_have_text("Private")

    note.get_by_text("Propose a timeline event").click()
    note.get_by_label("When").fill("2026-03-02T14:04")
    note.get_by_label("What happened, as they saw it").fill("Bea saw the backlog grow")
    note.get_by_role("button", name="Propose event").click()
    proposal = page.locator("li.proposal")
    expect(proposal).to_contain_text("Proposed")

    proposal.get_by_role("button", name="Accept into timeline").click()
    expect(page.locator("li.proposal")).to_contain_text("Accepted")
    # The timeline refreshes itself with the accepted event, marked with its source.
    accepted = page.locator("#timeline .timeline-event", has_text="Bea saw the backlog grow")
    expect(accepted.locator(".perspective-badge")).to_have_text("from Interview with Bea Responder")

    page.locator("#timeline").get_by_role("link", name="By perspective").click()
    table = page.locator("#perspectives")
    expect(table.locator("thead th")).to_have_text(["Time", "Timeline", "Bea Responder"])
    row = table.locator("tbody tr", has_text="14:04")
    # Side by side: the timeline's copy and Bea's own account in the same row.
    expect(row.locator("td").nth(0)).to_contain_text("Bea saw the backlog grow")
    expect(row.locator("td").nth(1)).to_contain_text("Accepted")
    assert Interview.objects.get().proposals.get().state == "accepted"
