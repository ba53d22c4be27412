import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from postmortems.models import Draft
from reviews.models import Meeting
from reviews.services import meeting_create
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_text_typed_into_a_tab_that_is_closed_comes_back(page, browser, postmortem):
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    page.get_by_role("link", name="Edit summary").click()
    summary = page.get_by_label("Summary")
    summary.fill("")
    summary.press_sequentially("The cache stampede began when the TTLs aligned", delay=5)
    expect(page.locator(".draft-status")).to_contain_text("Draft kept at")
    page.close()  # the tab is gone, nothing was saved

    again = page.context.new_page()
    again.goto(postmortem.get_absolute_url())
    again.get_by_role("link", name="Edit summary").click()
    expect(again.locator(".draft-restored")).to_contain_text("Restored your unsaved text")
    expect(again.get_by_label("Summary")).to_have_value(
        "The cache stampede began when the TTLs aligned"
    )
    again.get_by_role("button", name="Save").click()
    expect(again.locator("#section-summary")).to_contain_text("The cache stampede began")


def _eventually(check, seconds: float = 5.0) -> None:
    """Wait for the live server to have written what `check` looks for."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not saved in time"
        time.sleep(0.1)


def test_saving_cancels_the_autosave_so_reopening_offers_nothing(page, postmortem):
    drafts_sent: list[str] = []
    page.on("request", lambda r: drafts_sent.append(r.url) if "/drafts/" in r.url else None)
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    page.get_by_role("link", name="Edit summary").click()
    page.get_by_label("Summary").fill("The TTLs aligned")
    page.get_by_role("button", name="Save").click()  # before the 2-second autosave
    expect(page.locator("#section-summary")).to_contain_text("The TTLs aligned")
    page.wait_for_timeout(2500)  # when the autosave would have fired
    assert drafts_sent == []

    page.get_by_role("link", name="Edit summary").click()
    expect(page.get_by_label("Summary")).to_have_value("The TTLs aligned")
    expect(page.locator(".draft-restored")).to_have_count(0)
    page.get_by_label("Summary").fill("The TTLs aligned at 14:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-summary")).to_contain_text("The TTLs aligned at 14:00")
    expect(page.locator(".conflict")).to_have_count(0)
    assert not Draft.objects.exists()


def test_a_draft_kept_before_saving_is_not_offered_after_it(page, postmortem):
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    page.get_by_role("link", name="Edit summary").click()
    summary = page.get_by_label("Summary")
    summary.fill("")
    summary.press_sequentially("Retries doubled the load", delay=5)
    expect(page.locator(".draft-status")).to_contain_text("Draft kept at")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-summary")).to_contain_text("Retries doubled the load")

    page.reload()
    page.get_by_role("link", name="Edit summary").click()
    expect(page.get_by_label("Summary")).to_have_value("Retries doubled the load")
    expect(page.locator(".draft-restored")).to_have_count(0)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-summary")).to_contain_text("Retries doubled the load")
    expect(page.locator(".conflict")).to_have_count(0)


def test_meeting_notes_save_as_typed_and_a_stale_window_is_told(page, author, postmortem):
    meeting = meeting_create(
        data={"title": "Weekly review", "starts_at": timezone.now()},
        attendees=[],
        agenda=[postmortem],
        facilitator=author,
    )
    log_in(page, "author")
    wrap_up = f"/reviews/{meeting.pk}/present/#slide-2"
    stale = page.context.new_page()  # a second window, opened before anything is saved
    stale.goto(wrap_up)
    page.goto(wrap_up)

    notes = page.locator(".slide.active").get_by_label("Notes")
    notes.press_sequentially("Cache TTLs", delay=10)
    _eventually(lambda: Meeting.objects.get().notes == "Cache TTLs")
    notes.press_sequentially(" get jitter", delay=10)  # a second autosave from the same window
    _eventually(lambda: Meeting.objects.get().notes == "Cache TTLs get jitter")
    expect(page.locator("#saved-notes")).to_have_text("Saved")

    stale.locator(".slide.active").get_by_label("Notes").press_sequentially("Old", delay=10)
    status = stale.locator("#saved-notes")
    expect(status).to_contain_text("Not saved: these notes were saved from another window")
    expect(status.locator(".conflict-theirs").first).to_have_text("Cache TTLs get jitter")
    assert Meeting.objects.get().notes == "Cache TTLs get jitter"

    status.get_by_role("button", name="Keep mine").click()
    expect(status).to_have_text("Saved")
    assert Meeting.objects.get().notes == "Old"
