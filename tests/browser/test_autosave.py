import pytest
from playwright.sync_api import expect

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
