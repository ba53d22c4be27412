import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_filter_bar_lines_up_and_the_page_offers_one_new_postmortem(page, author):
    PostmortemFactory(owner=author)
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, "author")
    expect(page.get_by_role("link", name="New postmortem")).to_have_count(1)

    bar = page.get_by_role("search")
    boxes = {}
    for name in ("Search", "Status", "Severity", "Service", "Started from", "Started until"):
        label = bar.locator("label", has_text=name).first.bounding_box()
        control = bar.get_by_label(name, exact=True).first
        picker = bar.locator(".ts-wrapper", has=page.get_by_label(name, exact=True))  # a picker
        control = (picker if picker.count() else control).bounding_box()
        boxes[name] = (round(label["y"]), round(control["y"]), round(control["height"]))
    assert len(set(boxes.values())) == 1, boxes
