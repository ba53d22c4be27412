"""Long postmortems and long backlogs stay light: rows carry buttons, forms load when opened.

bench/run.py times the same pages on PostgreSQL at full size (2,000 events and 500 items;
10,000 open items of one person).
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.templatetags.action_items import SECTION_ITEMS
from actions.views import PAGE_SIZE
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    TimelineEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# What one more row may add to the page: its text, its time or badges, its buttons.
EVENT_ROW_BYTES = 660
ITEM_ROW_BYTES = 1_700
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def today():
    return timezone.localdate()


def _draw(client, url: str) -> tuple[str, int]:
    """The page as drawn anew (not from the page cache), and the queries it took."""
    client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _rows(body: str, prefix: str) -> int:
    return len(re.findall(rf'<li id="{prefix}-\d+"', body))


def test_a_long_postmortem_page_grows_by_rows_not_forms(author_client, author):
    people = UserFactory.create_batch(30)  # a select of every user would weigh 30 options a row
    postmortem = PostmortemFactory(owner=author)

    def add(events: int, items: int) -> None:
        TimelineEventFactory.create_batch(events, postmortem=postmortem)
        for n in range(items):
            ActionItemFactory(postmortem=postmortem, owner=people[n % len(people)])

    add(3, 3)
    small, few_queries = _draw(author_client, postmortem.get_absolute_url())
    add(297, 97)
    big, many_queries = _draw(author_client, postmortem.get_absolute_url())

    assert _rows(big, "event") == 300 and _rows(big, "action-item") == SECTION_ITEMS
    # The fields on the page are the sections' own (add an event, add an item...), not a
    # row's: a row has its buttons, and "Mark done" alone is a form of one button.
    assert big.count("<select") == small.count("<select")
    assert big.count("<textarea") == small.count("<textarea")
    assert big.count("<form") - small.count("<form") == SECTION_ITEMS - 3
    budget = 297 * EVENT_ROW_BYTES + (SECTION_ITEMS - 3) * ITEM_ROW_BYTES
    assert len(big) - len(small) <= budget, f"{len(big) - len(small)} bytes for the rows"
    assert many_queries == few_queries


def test_the_action_section_shows_the_open_items_first_and_the_rest_when_asked(
    author_client, author, today
):
    postmortem = PostmortemFactory(owner=author)
    later = today + timedelta(days=30)
    ActionItemFactory.create_batch(SECTION_ITEMS + 5, postmortem=postmortem, due_date=later)
    done = ActionItemFactory(postmortem=postmortem, owner=author, title="Closed long ago")
    done.complete(by=author)
    late = ActionItemFactory(postmortem=postmortem, owner=author, title="Late and open")
    late.due_date = today - timedelta(days=3)
    late.save()

    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert _rows(page, "action-item") == SECTION_ITEMS
    assert "Late and open" in page and "Closed long ago" not in page
    assert f"Show all {SECTION_ITEMS + 7} action items" in page

    section = reverse("actions:section", args=[postmortem.pk])
    everything = author_client.get(section, {"all_actions": "1"}, **HX).content.decode()
    assert _rows(everything, "action-item") == SECTION_ITEMS + 7
    assert "Show all" not in everything
    # A status change in the whole list answers with the whole list.
    response = author_client.post(
        reverse("actions:status", args=[late.pk]),
        {"status": "done", "all_actions": "1"},
        HTTP_HX_TARGET="action-items",
        **HX,
    )
    assert _rows(response.content.decode(), "action-item") == SECTION_ITEMS + 7


def test_the_status_form_loads_when_opened(author_client, author, postmortem, outsider):
    item = ActionItemFactory(postmortem=postmortem, owner=author, title="Rotate the keys")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    row = page[page.index(f'id="action-item-{item.pk}"') :]
    row = row[: row.index("</li>")]
    assert 'name="reason"' not in row and "<select" not in row
    assert f'hx-get="{reverse("actions:status", args=[item.pk])}?target=action-items"' in row

    url = reverse("actions:status", args=[item.pk])
    form = author_client.get(url, {"target": "action-items"}, **HX).content.decode()
    assert 'name="status"' in form and 'name="reason"' in form
    assert 'hx-target="#action-items"' in form
    assert '<option value="open" selected>' in form
    # Only known fragments are targets; anything else answers for the row.
    odd = author_client.get(url, {"target": "body"}, **HX).content.decode()
    assert f'hx-target="#action-item-{item.pk}"' in odd
    author_client.force_login(outsider)
    assert author_client.get(url, **HX).status_code == 403  # may read the item, not change it


def test_the_event_form_loads_when_opened(author_client, postmortem):
    event = TimelineEventFactory(postmortem=postmortem, description="Pager went off")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    edit = reverse("postmortems:event_edit", args=[postmortem.pk, event.pk])
    assert f'hx-get="{edit}"' in page
    assert (
        'name="description"' not in page[page.index(f'id="event-{event.pk}"') :].split("</li>")[0]
    )
    form = author_client.get(edit, **HX).content.decode()
    assert 'name="description"' in form and "Pager went off" in form


def test_my_items_come_a_page_at_a_time_overdue_first(author_client, author, today):
    ActionItemFactory.create_batch(PAGE_SIZE + 10, owner=author, due_date=today + timedelta(5))
    for n in range(3):
        ActionItemFactory(owner=author, title=f"Overdue {n}", due_date=today - timedelta(n + 1))

    first = author_client.get(reverse("actions:mine"))
    body = first.content.decode()
    assert _rows(body, "action-item") == PAGE_SIZE
    assert [item.title for item in first.context["overdue"]] == [
        "Overdue 2",
        "Overdue 1",
        "Overdue 0",
    ]
    assert body.index("Overdue 0") < body.index("Due in the next")
    assert f"{PAGE_SIZE + 13} open items, overdue first" in body and "Page 1 of 2" in body

    second = author_client.get(reverse("actions:mine"), {"page": 2})
    assert _rows(second.content.decode(), "action-item") == 13
    assert second.context["overdue"] == []
    # The heading counts every overdue item, not only those on the page.
    assert '<span class="badge text-bg-danger">3</span>' in body
