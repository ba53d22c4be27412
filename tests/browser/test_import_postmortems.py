from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def test_a_person_previews_then_imports_a_markdown_postmortem_as_their_draft(page, author):
    UserFactory(username="ben", first_name="Ben", last_name="Brown")
    log_in(page, "author")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Markdown files").set_input_files(
        [FIXTURES / "checkout-outage.md", FIXTURES / "no-title.md"]
    )
    page.get_by_role("button", name="Preview").click()

    first, second = page.locator("#import-doc-1"), page.locator("#import-doc-2")
    expect(first).to_contain_text("a draft you own")
    expect(first).to_contain_text("5 timeline events, 3 contributing factors, 3 action items")
    expect(first.locator(".import-problems")).to_contain_text("“Anna Ames” is no one on the site")
    expect(second).to_contain_text("cannot be imported")
    page.get_by_role("button", name="Import 1 postmortem as drafts").click()

    expect(page.get_by_text("Imported 1 postmortem as drafts you own.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Checkout payments declined")
    expect(page.locator("#section-details dd time").first).to_have_text("2026-03-02 14:02")
    expect(
        page.get_by_role("link", name="Make the staging stub reject unit amounts")
    ).to_be_visible()
