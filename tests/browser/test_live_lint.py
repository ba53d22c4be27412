import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_writer_sees_blameful_wording_flagged_as_they_type_and_acknowledges_it(page, postmortem):
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    page.get_by_role("link", name="Edit summary").click()
    summary = page.get_by_label("Summary")
    summary.fill("")
    summary.press_sequentially("🔥 At 14:05 the on-call should have paged the DBA.", delay=5)

    panel = page.locator(".lint-panel[data-lint-for='summary']")
    expect(panel).to_contain_text("“should have paged”")
    expect(panel).to_contain_text("counterfactual")
    expect(panel.locator(".lint-suggestion")).to_contain_text("Try:")
    expect(summary).to_have_value("🔥 At 14:05 the on-call should have paged the DBA.")

    panel.locator(".lint-words").first.click()
    selected = summary.evaluate("f => f.value.slice(f.selectionStart, f.selectionEnd)")
    assert selected == "should have paged"

    page.get_by_role("button", name="Save").click()
    lint = page.locator("#lint")
    expect(lint).to_contain_text("1 warning to reword or acknowledge")
    lint.get_by_label("Why keep “should have paged”").fill("Quoting the customer's complaint.")
    lint.get_by_role("button", name="Acknowledge").click()
    expect(lint).to_contain_text("no open warnings")
    expect(lint).to_contain_text("1 acknowledged")
