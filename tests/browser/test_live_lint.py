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


# Records when the writer last typed and when the panel first showed the finding's words.
TIMING_SCRIPT = """([field, words]) => {
  const textarea = document.querySelector(field);
  let typedAt = 0;
  textarea.addEventListener("input", () => { typedAt = performance.now(); });
  const observer = new MutationObserver(() => {
    const panel = document.querySelector(`.lint-panel[data-lint-for='${textarea.name}']`);
    if (panel && panel.textContent.includes(words)) {
      observer.disconnect();
      window.lintShownAfter = performance.now() - typedAt;
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def test_findings_show_soon_after_typing_and_a_rewrite_applies_with_one_click(page, postmortem):
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    page.get_by_role("link", name="Edit summary").click()
    summary = page.get_by_label("Summary")
    panel = page.locator(".lint-panel[data-lint-for='summary']")
    # The first check loads the rules in the server; time the ones after it.
    summary.fill("Warm-up: the engineer forgot the flag.")
    expect(panel).to_contain_text("“forgot”")

    summary.fill("")
    page.evaluate(TIMING_SCRIPT, ["textarea[name='summary']", "“didn't check”"])
    summary.press_sequentially("Sarah didn't check the logs.", delay=20)
    page.wait_for_function("() => window.lintShownAfter !== undefined")
    elapsed_ms = page.evaluate("() => window.lintShownAfter")
    assert elapsed_ms <= 600, f"findings showed {elapsed_ms:.0f} ms after the last keystroke"

    rewrite = panel.locator(".lint-rewrite")
    expect(rewrite).to_contain_text("The logs were not checked.")
    rewrite.get_by_role("button", name="Apply rewrite").click()
    expect(summary).to_have_value("The logs were not checked.")
    expect(panel.locator(".lint-item")).to_have_count(0)
