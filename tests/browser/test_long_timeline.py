from datetime import timedelta

import pytest
from playwright.sync_api import expect

from postmortems.models import TimelineEvent
from postmortems.services import PAGE_EVENTS
from tests.browser.conftest import log_in
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_long_timeline_opens_whole_and_stays_whole_while_edited(page, author):
    postmortem = PostmortemFactory(owner=author, title="Replica lag")
    events = TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=postmortem,
            occurred_at=postmortem.started_at + timedelta(minutes=n),
            description=f"Checked replica {n}",
        )
        for n in range(PAGE_EVENTS + 3)
    )
    last = events[-1]
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    timeline = page.locator("#timeline")
    expect(timeline.locator(".timeline-event")).to_have_count(PAGE_EVENTS)

    timeline.get_by_role("link", name=f"Show all {PAGE_EVENTS + 3} events").click()
    expect(timeline.locator(".timeline-event")).to_have_count(PAGE_EVENTS + 3)
    assert page.url.endswith(postmortem.get_absolute_url())  # in place, no page load

    page.locator(f"#event-{last.pk}").get_by_role("button", name="Edit").click()
    row = page.locator(f"#event-{last.pk}")
    expect(row.get_by_label("When")).to_be_focused()
    row.get_by_label("Description").fill("All replicas caught up")
    row.get_by_role("button", name="Save event").click()
    expect(page.locator(f"#event-{last.pk}")).to_contain_text("All replicas caught up")
    expect(timeline.locator(".timeline-event")).to_have_count(PAGE_EVENTS + 3)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#event-{last.pk}").get_by_role("button", name="Delete").click()
    expect(timeline.locator(".timeline-event")).to_have_count(PAGE_EVENTS + 2)
    assert not TimelineEvent.objects.filter(pk=last.pk).exists()
