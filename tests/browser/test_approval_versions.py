import pytest
from playwright.sync_api import expect

from postmortems.models import Status
from reviews.models import Reviewer
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_edit_after_approval_asks_for_a_renewed_approval_before_publishing(
    page, reviewer, complete_postmortem
):
    complete_postmortem.status = Status.IN_REVIEW
    complete_postmortem.save()
    Reviewer.objects.create(postmortem=complete_postmortem, user=reviewer)

    log_in(page, "reviewer")
    page.goto(complete_postmortem.get_absolute_url())
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#review")).to_contain_text("1 approval, enough to publish")

    page.context.clear_cookies()
    log_in(page, "author")
    page.goto(complete_postmortem.get_absolute_url())
    page.get_by_role("link", name="Edit summary").click()
    page.get_by_label("Summary").fill("Checkout failed for **47 minutes** after a deploy.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-summary strong")).to_have_text("47 minutes")
    # Redrawn in place: no reload needed to see that the approval is for the old text.
    review = page.locator("#review")
    expect(review).to_contain_text("for an earlier version — changed since")
    expect(review).to_contain_text("0 approvals, 1 more needed to publish")

    review.get_by_role("button", name="Publish").click()
    expect(page.locator("#refusal")).to_contain_text(
        "Rui Reviewer approved an earlier version: the text changed since"
    )
    review.get_by_role("link", name="what changed").click()
    expect(page.locator("#since")).to_contain_text("Only the changes since")
    expect(page.locator("#history")).to_contain_text("after a deploy.")
