"""Where the keyboard goes: into an editor the person opens, and nowhere else."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db(transaction=True)

# A slow device: htmx readies new content (and the editor takes the keyboard) a second after
# showing it, instead of 20 ms, so a person has time to click into a field first.
SLOW_DEVICE = "addEventListener('DOMContentLoaded', () => { htmx.config.defaultSettleDelay = 1e3 })"
SETTLING = re.compile(r"\bhtmx-(added|settling)\b")


def test_a_field_picked_before_the_editor_is_ready_keeps_the_keyboard(page, author):
    postmortem = PostmortemFactory(owner=author)
    event = TimelineEventFactory(postmortem=postmortem, description="Pager went off")
    page.add_init_script(SLOW_DEVICE)
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    row = page.locator(f"#event-{event.pk}")
    row.get_by_role("button", name="Edit").click()
    description = row.get_by_label("Description")
    description.click()
    expect(row).not_to_have_class(SETTLING)  # now ready
    page.keyboard.press("End")
    page.keyboard.type(" twice")
    expect(description).to_be_focused()
    expect(description).to_have_value("Pager went off twice")
    row.get_by_role("button", name="Save event").click()
    expect(page.locator(f"#event-{event.pk}")).to_contain_text("Pager went off twice")


def test_the_blameless_check_refreshing_after_a_save_leaves_the_keyboard_alone(page, author):
    postmortem = PostmortemFactory(owner=author, summary="Bob should have paged the on-call.")
    event = TimelineEventFactory(postmortem=postmortem, description="Pager went off")
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    lint = page.locator("#lint")
    expect(lint).to_contain_text("1 warning to reword or acknowledge")
    expect(lint.get_by_role("textbox")).to_be_visible()  # a reason to type, open on arrival
    expect(lint.locator(":focus")).to_have_count(0)

    row = page.locator(f"#event-{event.pk}")
    row.get_by_role("button", name="Edit").click()
    expect(row.get_by_label("When")).to_be_focused()
    row.get_by_label("Description").fill("Ann should have paged the database team")
    page.get_by_role("button", name="Save event").click()
    expect(lint).to_contain_text("2 warnings to reword or acknowledge")
    expect(lint).not_to_have_class(SETTLING)
    expect(lint.locator(":focus")).to_have_count(0)
