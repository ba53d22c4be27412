import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_fixes_a_missing_item_of_the_checklist_and_sees_the_score_rise(page, author):
    postmortem = PostmortemFactory(
        owner=author,
        impact="Checkout failed for 4,100 customers over 47 minutes.",
        went_well="The rollback took two minutes.",
        got_lucky="It happened on a quiet Sunday.",
    )
    TimelineEventFactory(postmortem=postmortem, source_url="https://chat.example/1")
    ContributingFactorFactory(postmortem=postmortem)
    ActionItemFactory(postmortem=postmortem, owner=author)
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())

    quality = page.locator("#quality")
    # Everything passes but the second factor (15) and the outside reviewer (10).
    expect(quality.locator("[data-quality-score]")).to_have_text("75")
    missing = quality.locator('[data-passed="false"]')
    expect(missing).to_have_count(2)
    fix = quality.get_by_role("link", name="Add 1 more contributing factor.")
    fix.click()
    expect(page).to_have_url(f"{page.url.split('#')[0].split('?')[0]}#factors")

    factors = page.locator("#factors")
    factors.get_by_text("Add a contributing factor").click()
    factors.get_by_label("Category").select_option(label="Change / deploy")
    factors.get_by_label("Description").fill("The deploy pipeline ran the migration first.")
    factors.get_by_role("button", name="Add factor").click()

    expect(factors.get_by_text("The deploy pipeline ran the migration first.")).to_be_visible()
    expect(quality.locator("[data-quality-score]")).to_have_text("90")
    expect(missing).to_have_count(1)
    expect(quality.get_by_role("link", name="Add 1 more contributing factor.")).to_have_count(0)
