from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose, log_in
from tests.factories import PostmortemFactory, ServiceFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_saving_details_in_place_updates_everything_that_shows_them(page, author):
    ServiceFactory(name="checkout")
    postmortem = PostmortemFactory(owner=author, title="Slow search", severity=3, time_zone="UTC")
    TimelineEventFactory(postmortem=postmortem, occurred_at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    header = page.locator("header").filter(has=page.get_by_role("heading", level=1))
    expect(header.locator(".badge.sev-3")).to_have_text("SEV3")

    page.get_by_role("link", name="Edit details and key times").click()
    form = page.locator("#section-details form")
    form.get_by_label("Title").fill("Search down in every region")
    form.get_by_label("Severity").select_option(label="SEV1")
    choose(form, "Incident time zone", "Europe/Berlin")
    form.get_by_label("checkout").check()
    form.get_by_role("button", name="Save").click()

    expect(header.locator(".badge.sev-1")).to_have_text("SEV1")
    expect(header.locator(".badge.sev-3")).to_have_count(0)
    expect(header.get_by_role("heading")).to_have_text("Search down in every region")
    expect(header.get_by_role("link", name="checkout")).to_be_visible()
    expect(page).to_have_title(f"{postmortem.reference} Search down in every region · Debrief")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_role("heading", name="Timeline")).to_contain_text("Europe/Berlin")
    expect(timeline.locator(".timeline-event time")).to_have_text(["2026-03-02 15:05"])
