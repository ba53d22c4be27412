import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from postmortems.models import Postmortem
from tests.browser.conftest import choose, log_in

SHOTS = os.environ.get("SCREENSHOTS")

pytestmark = pytest.mark.django_db(transaction=True)

CHAT_LOG = """\
[2:07 PM] Ben Okafor: rolling back the gateway client
14:02 anna: checkout error rate is at 38%
14:05 chloé: paging payments on-call
this line is not a message
"""


def test_a_person_writes_a_postmortem_from_a_chat_log_and_exports_it(page, author):
    log_in(page, "author")
    page.get_by_role("link", name="New postmortem").first.click()
    page.get_by_label("Title").fill("Checkout errors after certificate rotation")
    page.get_by_label("Severity").select_option(label="SEV1")
    choose(page, "Incident time zone", "Europe/Berlin")
    page.get_by_label("Impact started").fill("2026-03-02T14:00")
    page.get_by_role("button", name="Create postmortem").click()
    expect(
        page.get_by_role("heading", name="Checkout errors after certificate rotation")
    ).to_be_visible()

    page.get_by_role("link", name="Edit summary").click()
    page.get_by_label("Summary").fill("Checkout failed for **47 minutes**.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-summary strong")).to_have_text("47 minutes")

    page.screenshot(path="/tmp/shot-detail.png", full_page=True) if SHOTS else None
    page.get_by_role("link", name="Paste a chat log").click()
    page.get_by_label("Chat log").fill(CHAT_LOG)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-problems")).to_contain_text("Line 4")
    page.screenshot(path="/tmp/shot-import.png", full_page=True) if SHOTS else None
    page.get_by_role("button", name="Import 3 events").click()

    events = page.locator("#timeline .timeline-event")
    expect(events).to_have_count(3)
    expect(events.locator("time")).to_have_text(
        ["2026-03-02 14:02", "2026-03-02 14:05", "2026-03-02 14:07"]
    )
    expect(events.nth(0)).to_contain_text("anna: checkout error rate is at 38%")

    page.screenshot(path="/tmp/shot-timeline.png", full_page=True) if SHOTS else None
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export Markdown").click()
    download = download_info.value
    postmortem = Postmortem.objects.get()
    assert download.suggested_filename.startswith(f"{postmortem.reference}-checkout-errors")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "# PM-" in text and "Checkout failed for **47 minutes**." in text
    assert text.index("anna: checkout error rate") < text.index("Ben Okafor: rolling back")
