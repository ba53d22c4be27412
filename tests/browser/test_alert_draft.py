import pytest
from playwright.sync_api import expect

from tests.alert_sender import Sender, fixture
from tests.browser.conftest import log_in
from tests.factories import AlertSourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_alert_that_fired_and_resolved_waits_as_a_draft_with_its_key_times(
    page, live_server, author
):
    source = AlertSourceFactory(kind="alertmanager", slug="prometheus", default_owner=author)
    alertmanager = Sender(
        live_server.url + source.get_absolute_url(), "alertmanager", source.secret
    )
    alertmanager.deliver(fixture("alertmanager_firing"), fixture("alertmanager_resolved"))

    log_in(page, "author")
    page.get_by_role(
        "link", name="CheckoutErrors: Checkout answers errors to many requests"
    ).click()

    header = page.locator("header").filter(has=page.get_by_role("heading", level=1))
    expect(header.locator(".badge.sev-1")).to_have_text("SEV1")
    details = page.locator("#section-details")
    expect(details.locator("dd time")).to_have_text(
        ["2026-03-02 14:02", "2026-03-02 14:02", "2026-03-02 14:47"]
    )
    expect(details.locator("[data-metric=ttd]")).to_have_text("0 min")
    expect(details.locator("[data-metric=ttr]")).to_have_text("45 min")
    events = page.locator("#timeline .timeline-event")
    expect(events).to_have_count(5)
    expect(events.first).to_contain_text("CheckoutErrors firing")
    expect(events.last).to_contain_text("All alerts of the group resolved")
