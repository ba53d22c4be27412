import os

import pytest
from playwright.sync_api import expect

from actions.models import ActionItem, Status
from tests.browser.conftest import choose, log_in
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    ServiceFactory,
    TimelineEventFactory,
    UserFactory,
)

SHOTS = os.environ.get("SCREENSHOTS")

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_adds_an_item_completes_it_and_sees_the_progress(page, author):
    postmortem = PostmortemFactory(owner=author, title="Queue backlog")
    ActionItemFactory(postmortem=postmortem, owner=author, title="Document the replay runbook")
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    section = page.locator("#action-items")
    expect(section.locator("[data-progress-label]")).to_have_text("0 of 1 done")

    section.get_by_text("Add an action item").click()
    section.get_by_label("Title").fill("Alert when queue lag exceeds 5 minutes")
    choose(section, "Owner", "Ada Author (author)")
    section.get_by_label("Priority").select_option("P1")
    section.get_by_role("button", name="Add action item").click()

    row = section.locator(".action-item", has_text="Alert when queue lag")
    expect(row).to_be_visible()
    expect(section.locator("[data-progress-label]")).to_have_text("0 of 2 done")
    page.screenshot(path="/tmp/shot-actions-section.png", full_page=True) if SHOTS else None

    row.get_by_role("button", name="Mark done").click()
    expect(section.locator("[data-progress-label]")).to_have_text("1 of 2 done")
    expect(section.locator(".action-item", has_text="Alert when queue lag")).to_contain_text("Done")
    item = ActionItem.objects.get(title__startswith="Alert when queue lag")
    assert item.status == Status.DONE and item.priority == "P1"
    assert page.url.endswith(postmortem.get_absolute_url())  # no full page load


def test_an_owner_nobody_expected_is_found_by_typing_their_name(page, author):
    UserFactory(username="bea", first_name="Bea", last_name="Responder", email="bea@ops.example")
    postmortem = PostmortemFactory(owner=author)
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    section = page.locator("#action-items")
    section.get_by_text("Add an action item").click()
    section.get_by_label("Title").fill("Page the on-call when the queue stalls")
    # Only the postmortem's people come with the page: Bea is found on the server.
    expect(section.locator("select[name=owner] option", has_text="Bea")).to_have_count(0)
    owner = page.get_by_role("combobox", name="Owner")
    section.locator(".ts-wrapper", has=owner).click()
    owner.press_sequentially("respond")
    section.get_by_role("option", name="Bea Responder (bea)", exact=True).click()
    section.get_by_role("button", name="Add action item").click()

    expect(section.locator(".action-item", has_text="Page the on-call")).to_contain_text("Bea")
    item = ActionItem.objects.get(title="Page the on-call when the queue stalls")
    assert item.owner.username == "bea"


def test_the_action_list_finds_an_owner_by_their_email(page, author):
    bea = UserFactory(
        username="bea", first_name="Bea", last_name="Responder", email="bea@ops.example"
    )
    log_in(page, "author")
    page.goto("/actions/")
    owner = page.get_by_role("combobox", name="Owner", exact=True)
    picker = page.locator(".ts-wrapper", has=owner)
    picker.click()
    # Not in the option's text: listed because the server matched it.
    owner.press_sequentially("ops.exam")
    page.get_by_role("option", name="Bea Responder (bea)", exact=True).click()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**owner={bea.pk}*")
    expect(picker).to_contain_text("Bea Responder (bea)")


def test_blocking_an_item_asks_for_the_reason_inline(page, author):
    postmortem = PostmortemFactory(owner=author)
    ActionItemFactory(postmortem=postmortem, owner=author, title="Split the config repo")
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    row = page.locator(".action-item", has_text="Split the config repo")
    row.get_by_text("Change status").click()
    reason = row.get_by_label("Reason or note")
    expect(reason).to_be_hidden()
    row.get_by_label("New status").select_option("blocked")
    expect(reason).to_be_visible()
    reason.fill("Waiting for the platform team")
    row.get_by_role("button", name="Save status").click()
    row = page.locator(".action-item", has_text="Split the config repo")
    expect(row).to_contain_text("Blocked: Waiting for the platform team")


def test_the_list_filters_and_closes_items_in_bulk(page, author):
    postmortem = PostmortemFactory(owner=author)
    postmortem.services.add(ServiceFactory(name="checkout"))
    for title in ("Rotate certificates", "Add canary", "Retire old cron"):
        ActionItemFactory(postmortem=postmortem, owner=author, title=title)
    log_in(page, "author")
    page.goto("/actions/")
    page.screenshot(path="/tmp/shot-actions-list.png", full_page=True) if SHOTS else None
    page.get_by_label("Select all items on this page").check()
    page.get_by_label("Action").select_option("wont_do")
    page.get_by_label("Reason or note").fill("Checkout service retired")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_contain_text("Close as won't do: 3 items.")
    assert ActionItem.objects.filter(status=Status.WONT_DO).count() == 3


def test_an_event_and_an_item_open_their_forms_in_place_and_save(page, author):
    postmortem = PostmortemFactory(owner=author, title="Cache stampede")
    event = TimelineEventFactory(postmortem=postmortem, description="Pager went off")
    item = ActionItemFactory(postmortem=postmortem, owner=author, title="Jitter the cache TTLs")
    log_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    # Nothing to fill in until a form is opened: rows carry buttons only.
    expect(page.locator(f"#event-{event.pk} form")).to_have_count(0)
    expect(page.locator(f"#action-item-{item.pk} .status-form")).to_have_count(0)

    page.locator(f"#event-{event.pk}").get_by_role("button", name="Edit").click()
    # An editor is ready when it takes the keyboard: htmx wires up new content a moment after
    # showing it, and a save clicked before then posts the plain form (a full page load).
    expect(page.locator(f"#event-{event.pk}").get_by_label("When")).to_be_focused()
    description = page.locator(f"#event-{event.pk}").get_by_label("Description")
    description.fill("Pager went off for the checkout cache")
    page.get_by_role("button", name="Save event").click()
    expect(page.locator("#timeline")).to_contain_text("Pager went off for the checkout cache")
    expect(page.locator(f"#event-{event.pk} form")).to_have_count(0)

    row = page.locator(f"#action-item-{item.pk}")
    row.get_by_text("Change status").click()
    expect(row.get_by_label("New status")).to_be_focused()
    row.get_by_label("New status").select_option("in_progress")
    row.get_by_role("button", name="Save status").click()
    row = page.locator(f"#action-item-{item.pk}")
    expect(row.locator(".action-status-in_progress")).to_have_text("In progress")
    expect(row.locator(".status-form")).to_have_count(0)
    assert page.url.endswith(postmortem.get_absolute_url())  # no full page load
    item.refresh_from_db()
    event.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert event.description == "Pager went off for the checkout cache"
