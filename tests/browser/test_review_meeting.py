import os
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from reviews.services import meeting_create
from tests.browser.conftest import choose, log_in
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_facilitator_runs_a_meeting_from_the_keyboard_and_adds_an_action_item(
    page, author, reviewer, complete_postmortem
):
    second = PostmortemFactory(owner=author, title="Search index stalled", status="in_review")
    meeting = meeting_create(
        data={"title": "Weekly review", "starts_at": timezone.now()},
        attendees=[reviewer],
        agenda=[complete_postmortem, second],
        facilitator=author,
    )
    log_in(page, "author")
    page.goto(f"/reviews/{meeting.pk}/")
    page.get_by_role("link", name="Present").click()

    position = page.locator("#slide-position")
    expect(position).to_have_text("1 / 4")
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text("2 / 4")
    slide = page.locator(".slide.active")
    expect(slide.get_by_role("heading", level=1)).to_have_text(complete_postmortem.title)
    page.keyboard.press("ArrowRight")
    expect(page.locator(".slide.active h1")).to_have_text("Search index stalled")
    page.keyboard.press("ArrowLeft")
    expect(position).to_have_text("2 / 4")

    slide.get_by_text("Add an action item").click()
    slide.get_by_label("Title").fill("Alert when replication lag exceeds 30 s")
    choose(slide, "Owner", "Rui Reviewer (reviewer)")
    slide.get_by_label("Title").press("ArrowRight")  # typing in a field must not change slides
    expect(position).to_have_text("2 / 4")
    slide.get_by_role("button", name="Add action item").click()
    expect(slide).to_contain_text("Alert when replication lag exceeds 30 s")
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path="/tmp/shot-present.png", full_page=True)

    page.goto(complete_postmortem.get_absolute_url())
    expect(page.locator("#action-items")).to_contain_text("Alert when replication lag exceeds 30 s")


def test_ending_a_meeting_planned_for_later_asks_first(page, author, reviewer, complete_postmortem):
    meeting = meeting_create(
        data={"title": "Next week's review", "starts_at": timezone.now() + timedelta(days=7)},
        attendees=[reviewer],
        agenda=[complete_postmortem],
        facilitator=author,
    )
    log_in(page, "author")
    _end_from_the_last_slide(page, meeting)
    confirm = page.get_by_role("alert").filter(has_text="still ahead")
    expect(confirm).to_be_visible()
    confirm.get_by_role("link", name="Keep it planned").click()
    expect(page.get_by_role("heading", name="Next week's review")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.ended_at is None

    _end_from_the_last_slide(page, meeting)
    page.get_by_role("button", name="End it now").click()
    expect(page.get_by_text("Meeting ended.")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.ended_at is not None


def _end_from_the_last_slide(page, meeting) -> None:
    page.goto(f"/reviews/{meeting.pk}/present/")
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#slide-position")).to_have_text("3 / 3")
    page.get_by_role("button", name="End meeting and email the summary").click()


def test_a_facilitator_sends_the_invitation_then_an_update_after_editing(
    page, author, reviewer, complete_postmortem, celery_eager
):
    meeting = meeting_create(
        data={"title": "Next week's review", "starts_at": timezone.now() + timedelta(days=7)},
        attendees=[reviewer],
        agenda=[complete_postmortem],
        facilitator=author,
    )
    log_in(page, "author")
    page.goto(f"/reviews/{meeting.pk}/")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("The invitation is on its way")).to_be_visible()
    sent = page.locator("table").filter(has_text="Sequence")
    expect(sent.get_by_role("cell", name="Invitation")).to_have_count(2)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Location").fill("Room 9")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Everyone invited gets the update by email.")).to_be_visible()
    expect(page.get_by_text("Room 9")).to_be_visible()
    expect(sent.get_by_role("cell", name="Update")).to_have_count(2)
    assert sorted(m.to[0] for m in mail.outbox if "Updated" in m.subject) == [
        "author@example.com",
        "reviewer@example.com",
    ]
