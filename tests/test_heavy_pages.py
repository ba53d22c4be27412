"""Long postmortems and long backlogs stay light: rows carry buttons, forms load when opened,
and a page shows the first events and items with the rest on "Show all".

bench/run.py times the same pages on PostgreSQL at full size (2,000 events and 500 items;
10,000 open items of one person).
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from actions.templatetags.action_items import SECTION_ITEMS
from actions.views import PAGE_SIZE
from postmortems.forms import TimelineEventForm
from postmortems.models import TimelineEvent
from postmortems.services import PAGE_EVENTS
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
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
    """The page, and the queries it took (after a first view has saved the session)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _rows(body: str, prefix: str) -> int:
    return len(re.findall(rf'<li id="{prefix}-\d+"', body))


def _timeline(postmortem, count: int, **fields) -> list[TimelineEvent]:
    """`count` events a minute apart, the way a long chat log import adds them."""
    return TimelineEvent.objects.bulk_create(
        TimelineEvent(
            postmortem=postmortem,
            occurred_at=postmortem.started_at + timedelta(minutes=n),
            description=f"Checked replica {n}: lag {n % 90} s.",
            **fields,
        )
        for n in range(count)
    )


def test_a_long_postmortem_page_grows_by_rows_not_forms(author_client, author):
    people = UserFactory.create_batch(30)  # a select of every user would weigh 30 options a row
    postmortem = PostmortemFactory(owner=author)

    def add(events: int, items: int) -> None:
        TimelineEventFactory.create_batch(events, postmortem=postmortem)
        for n in range(items):
            ActionItemFactory(postmortem=postmortem, owner=people[n % len(people)])

    add(3, 3)
    small, few_queries = _draw(author_client, postmortem.get_absolute_url())
    add(PAGE_EVENTS - 3, 97)
    big, many_queries = _draw(author_client, postmortem.get_absolute_url())

    assert _rows(big, "event") == PAGE_EVENTS and _rows(big, "action-item") == SECTION_ITEMS
    # The fields on the page are the sections' own (add an event, add an item...), not a
    # row's: a row has its buttons, and "Mark done" alone is a form of one button.
    assert big.count("<select") == small.count("<select")
    assert big.count("<textarea") == small.count("<textarea")
    assert big.count("<form") - small.count("<form") == SECTION_ITEMS - 3
    budget = (PAGE_EVENTS - 3) * EVENT_ROW_BYTES + (SECTION_ITEMS - 3) * ITEM_ROW_BYTES
    assert len(big) - len(small) <= budget, f"{len(big) - len(small)} bytes for the rows"
    assert many_queries == few_queries


def test_a_postmortem_with_2000_events_and_500_items_weighs_as_its_first_rows(
    author_client, author, outsider
):
    postmortem = PostmortemFactory(owner=outsider)
    postmortem.coauthors.add(author)  # an editor: every row with its buttons
    _timeline(postmortem, 3)
    ActionItemFactory.create_batch(3, postmortem=postmortem, owner=author)
    _, few_queries = _draw(author_client, postmortem.get_absolute_url())

    _timeline(postmortem, 1_997)
    ActionItem.objects.bulk_create(
        ActionItem(postmortem=postmortem, title=f"Runbook step {n}", owner=author,
                   created_by=author, due_date=timezone.localdate())
        for n in range(497)
    )  # fmt: skip
    big, many_queries = _draw(author_client, postmortem.get_absolute_url())

    assert _rows(big, "event") == PAGE_EVENTS and _rows(big, "action-item") == SECTION_ITEMS
    assert "Show all 2000 events" in big and "Show all 500 action items" in big
    # Every row drawn weighed 1.5 MB; the first ones weigh about a tenth of that.
    assert len(big) < 200_000, f"{len(big) // 1024} kB"
    assert many_queries == few_queries


def test_a_long_timeline_shows_its_first_events_and_the_rest_when_asked(author_client, postmortem):
    events = _timeline(postmortem, PAGE_EVENTS + 5)
    last = events[-1]
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert _rows(page, "event") == PAGE_EVENTS
    assert f"Show all {PAGE_EVENTS + 5} events" in page and last.description not in page

    timeline = reverse("postmortems:timeline", args=[postmortem.pk])
    everything = author_client.get(timeline, {"all_events": "1"}, **HX).content.decode()
    assert _rows(everything, "event") == PAGE_EVENTS + 5 and "Show all" not in everything
    # The whole list stays whole: the section sends the wish with every request from it.
    assert """hx-vals='{"all_events": "1"}'""" in everything
    page = author_client.get(postmortem.get_absolute_url(), {"all_events": "1"})
    assert _rows(page.content.decode(), "event") == PAGE_EVENTS + 5
    printed = author_client.get(reverse("postmortems:print", args=[postmortem.pk]))
    assert last.description in printed.content.decode()

    edit = reverse("postmortems:event_edit", args=[postmortem.pk, events[0].pk])
    data = {
        "occurred_at": "2026-03-02T14:00",
        "kind": "detection",
        "description": "Alert fired",
        "version": TimelineEventForm(instance=events[0]).saved_version(),
    }
    edited = author_client.post(edit, {**data, "all_events": "1"}, **HX).content.decode()
    assert _rows(edited, "event") == PAGE_EVENTS + 5


def test_a_change_past_the_first_events_answers_with_the_whole_timeline(author_client, postmortem):
    _timeline(postmortem, PAGE_EVENTS + 5)
    add = reverse("postmortems:event_create", args=[postmortem.pk])
    early = {"occurred_at": "2026-03-02T14:00", "kind": "note", "description": "Deploy began"}
    answer = author_client.post(add, early, **HX).content.decode()
    assert "Deploy began" in answer and _rows(answer, "event") == PAGE_EVENTS

    late = {"occurred_at": "2026-03-03T09:00", "kind": "note", "description": "All clear"}
    answer = author_client.post(add, late, **HX).content.decode()
    assert "All clear" in answer and _rows(answer, "event") == PAGE_EVENTS + 7


def test_a_warning_past_the_first_events_links_to_the_whole_timeline(author_client, postmortem):
    blameful = "Greta failed to update the rules."
    events = _timeline(postmortem, PAGE_EVENTS + 1)
    TimelineEvent.objects.filter(pk__in=[events[0].pk, events[-1].pk]).update(description=blameful)
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert f'href="#event-{events[0].pk}"' in page
    whole = f"{postmortem.get_absolute_url()}?all_events=1#event-{events[-1].pk}"
    assert f'href="{whole}"' in page
    assert f'id="event-{events[-1].pk}"' in author_client.get(whole).content.decode()


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


@pytest.mark.parametrize(
    ("factory", "noun", "rows"),
    [(TimelineEventFactory, "event", "timeline"), (ContributingFactorFactory, "factor", "factors")],
)
def test_an_edit_form_loads_when_opened(author_client, postmortem, factory, noun, rows):
    row = factory(postmortem=postmortem, description="Pager went off")
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    edit = reverse(f"postmortems:{noun}_edit", args=[postmortem.pk, row.pk])
    assert f'hx-get="{edit}"' in page
    assert 'name="description"' not in page[page.index(f'id="{noun}-{row.pk}"') :].split("</li>")[0]

    form = author_client.get(edit, **HX).content.decode()
    assert form.strip().startswith(f'<li id="{noun}-{row.pk}"')
    assert 'name="description"' in form and "Pager went off" in form
    assert f'hx-post="{edit}" hx-target="#{rows}"' in form and f"Save {noun}" in form
    assert f'hx-get="{reverse(f"postmortems:{rows}", args=[postmortem.pk])}"' in form


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
