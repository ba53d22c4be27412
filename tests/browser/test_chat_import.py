import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHAT_LOG = """\
14:02 anna: checkout alert fired
14:09 ben: rolled back the gateway deploy
14:20 anna: error rate is down to 0.1%
14:30 ben: all clear
"""


def test_a_person_imports_a_chat_log_with_kinds_that_fill_the_key_times(page, author):
    postmortem = PostmortemFactory(owner=author, title="Checkout errors")
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    expect(page.locator("#section-details dd").nth(1)).to_have_text("—")

    page.get_by_role("link", name="Paste a chat log").click()
    page.get_by_label("Chat log").fill(CHAT_LOG)
    page.get_by_role("button", name="Preview").click()
    kinds = [page.get_by_label(f"Kind of line {line}") for line in range(1, 5)]
    for select, proposed in zip(
        kinds, ["detection", "mitigation", "note", "resolution"], strict=True
    ):
        expect(select).to_have_value(proposed)

    # The rollback was only a step; the error rate falling is when it was mitigated.
    kinds[1].select_option(label="Change or deploy")
    kinds[2].select_option(label="Mitigation")
    page.get_by_role("button", name="Import 4 events").click()

    expect(page.get_by_text("Added 4 events to the timeline.")).to_be_visible()
    expect(page.locator("#section-details dd time")).to_have_text(
        ["2026-03-02 14:00", "2026-03-02 14:02", "2026-03-02 14:20", "2026-03-02 14:30"]
    )
    expect(page.locator("[data-metric=ttm]")).to_have_text("20 min")

    page.get_by_role("link", name="Paste a chat log").click()
    page.get_by_label("Chat log").fill(CHAT_LOG + "14:45 carl: incident closed\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-line-1")).to_contain_text("Already on the timeline")
    expect(page.locator("#import-skipped")).to_have_text(
        "4 events are already on the timeline or repeated and will be skipped."
    )
    expect(page.get_by_role("button", name="Import 1 event", exact=True)).to_be_visible()
