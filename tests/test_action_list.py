from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, Status
from actions.services import action_items_summary
from tests.factories import ActionItemFactory, PostmortemFactory, ServiceFactory

pytestmark = pytest.mark.django_db

LIST = reverse("actions:list")
OPENS_ON = {"status": "not_closed", "o": "overdue"}


def _titles(response) -> set[str]:
    return {item.title for item in response.context["page"]}


@pytest.fixture
def today():
    return timezone.localdate()


def test_the_list_filters_by_status_owner_and_overdue(author_client, author, reviewer, today):
    mine_late = ActionItemFactory(title="Mine late", owner=author, due_date=today - timedelta(1))
    ActionItemFactory(title="Theirs", owner=reviewer)
    done = ActionItemFactory(title="Done one", owner=author)
    done.complete(by=author)

    assert _titles(author_client.get(LIST, {"owner": author.pk})) == {"Mine late", "Done one"}
    assert _titles(author_client.get(LIST, {"status": "done"})) == {"Done one"}
    assert _titles(author_client.get(LIST, {"status": "not_closed"})) == {"Mine late", "Theirs"}
    assert _titles(author_client.get(LIST, {"overdue": "on"})) == {mine_late.title}


def test_the_list_filters_by_due_range_priority_and_kind(author_client, today):
    ActionItemFactory(title="Early", due_date=today + timedelta(3), priority="P1")
    ActionItemFactory(title="Late", due_date=today + timedelta(30), kind="detect")

    response = author_client.get(LIST, {"due_before": (today + timedelta(10)).isoformat()})
    assert _titles(response) == {"Early"}
    response = author_client.get(LIST, {"due_after": (today + timedelta(10)).isoformat()})
    assert _titles(response) == {"Late"}
    assert _titles(author_client.get(LIST, {"priority": "P1"})) == {"Early"}
    assert _titles(author_client.get(LIST, {"kind": "detect"})) == {"Late"}


def test_the_list_filters_by_postmortem_and_service(author_client):
    payments = PostmortemFactory()
    payments.services.add(ServiceFactory(name="payments"))
    search = PostmortemFactory()
    search.services.add(ServiceFactory(name="search"), ServiceFactory(name="frontend"))
    ActionItemFactory(title="Payments item", postmortem=payments)
    ActionItemFactory(title="Search item", postmortem=search)
    ActionItemFactory(title="From an audit", postmortem=None)

    assert _titles(author_client.get(LIST, {"postmortem": payments.pk})) == {"Payments item"}
    assert _titles(author_client.get(LIST, {"service": "Frontend"})) == {"Search item"}


def test_the_list_sorts_by_the_chosen_column(author_client, today):
    ActionItemFactory(title="B", priority="P3", due_date=today + timedelta(1))
    ActionItemFactory(title="A", priority="P1", due_date=today + timedelta(9))
    by_due = author_client.get(LIST, {"o": ""}).context["page"]
    assert [i.title for i in by_due] == ["B", "A"]
    by_priority = author_client.get(LIST, {"o": "priority"}).context["page"]
    assert [i.title for i in by_priority] == ["A", "B"]
    by_due_desc = author_client.get(LIST, {"o": "-due"}).context["page"]
    assert [i.title for i in by_due_desc] == ["A", "B"]


def test_the_list_is_paginated_and_keeps_the_filters_in_page_links(author_client, postmortem):
    ActionItemFactory.create_batch(55, priority="P2", postmortem=postmortem, owner=postmortem.owner)
    response = author_client.get(LIST, {"priority": "P2"})
    assert len(response.context["page"]) == 50
    assert "?priority=P2&amp;page=2" in response.content.decode()
    assert len(author_client.get(LIST, {"priority": "P2", "page": 2}).context["page"]) == 5


def test_the_summary_line_counts_the_filtered_items(author_client, author, today):
    ActionItemFactory(owner=author, due_date=today - timedelta(2))
    ActionItemFactory(owner=author, due_date=today + timedelta(2))
    on_time = ActionItemFactory(owner=author, due_date=today + timedelta(5))
    on_time.complete(by=author)
    late = ActionItemFactory(owner=author, due_date=today - timedelta(5))
    late.complete(by=author)
    ActionItemFactory()  # someone else's, filtered out below

    response = author_client.get(LIST, {"owner": author.pk})
    summary = response.context["summary"]
    assert (summary.total, summary.open, summary.overdue, summary.done) == (4, 2, 1, 2)
    assert summary.on_time_percent == 50
    assert summary.median_days_to_close == pytest.approx(0, abs=0.01)
    text = " ".join(response.content.decode().split())
    assert "<strong>2</strong> open" in text
    assert "<strong>50%</strong> done by the due date" in text


def test_median_days_to_close_uses_the_time_from_creation_to_done(author):
    now = timezone.now()
    for days in (2, 4, 10):
        item = ActionItemFactory(owner=author)
        ActionItem.objects.filter(pk=item.pk).update(
            status=Status.DONE, created_at=now - timedelta(days=days), completed_at=now
        )
    summary = action_items_summary(items=ActionItem.objects.all(), today=timezone.localdate())
    assert summary.median_days_to_close == pytest.approx(4)


def test_median_days_to_close_of_an_even_count_is_the_mean_of_the_middle_two(author):
    now = timezone.now()
    for days in (2, 4, 10, 12):
        item = ActionItemFactory(owner=author)
        ActionItem.objects.filter(pk=item.pk).update(
            status=Status.DONE, created_at=now - timedelta(days=days), completed_at=now
        )
    summary = action_items_summary(items=ActionItem.objects.all(), today=timezone.localdate())
    assert summary.median_days_to_close == pytest.approx(7)


@pytest.mark.parametrize(
    ("zone", "local_completions", "on_time"),
    [
        # Eight hours behind UTC: the evening of the due date is the next day in UTC.
        (
            "America/Los_Angeles",
            ["2026-01-14 10:00", "2026-01-15 23:30", "2026-01-16 00:30", "2026-01-20 09:00"],
            2,
        ),
        # Thirteen hours ahead: just after midnight after the due date is still it in UTC.
        ("Pacific/Auckland", ["2026-01-15 23:30", "2026-01-16 00:30", "2026-01-16 13:30"], 1),
    ],
)
def test_done_by_the_due_date_is_judged_in_the_sites_time_zone(
    settings, author, zone, local_completions, on_time
):
    settings.TIME_ZONE = zone
    for moment in local_completions:
        item = ActionItemFactory(owner=author)
        completed = datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(zone))
        ActionItem.objects.filter(pk=item.pk).update(
            status=Status.DONE, due_date=date(2026, 1, 15), completed_at=completed
        )
    summary = action_items_summary(items=ActionItem.objects.all(), today=date(2026, 2, 1))
    assert (summary.done, summary.done_on_time) == (len(local_completions), on_time)


def test_an_outsider_sees_and_counts_their_own_items_of_a_restricted_postmortem(
    client, author, outsider
):
    secret = PostmortemFactory(owner=author, restricted=True)
    ActionItemFactory(postmortem=secret, owner=author, title="Theirs, hidden")
    ActionItemFactory(postmortem=secret, owner=outsider, title="Mine, on a secret one")
    ActionItemFactory(postmortem=PostmortemFactory(owner=author), owner=author, title="Open")
    client.force_login(outsider)

    response = client.get(LIST, follow=True)
    assert _titles(response) == {"Mine, on a secret one", "Open"}
    assert response.context["summary"].total == 2
    assert "Theirs, hidden" not in response.content.decode()


def test_the_last_page_lists_what_the_summary_counted_past_the_first_50(author_client, postmortem):
    ActionItemFactory.create_batch(53, postmortem=postmortem, owner=postmortem.owner)
    last = author_client.get(LIST, {"page": 9})
    assert last.context["page"].number == 2
    assert len(last.context["page"]) == 3
    assert last.context["summary"].total == 53
    assert "<strong>53</strong> items" in " ".join(last.content.decode().split())


def test_the_owner_filter_keeps_the_chosen_person_selected(author_client, author, reviewer):
    ActionItemFactory(owner=reviewer)
    body = author_client.get(LIST, {"owner": reviewer.pk}).content.decode()
    assert f'<option value="{reviewer.pk}" selected>Rui Reviewer (reviewer)</option>' in body
    assert f'<option value="{author.pk}">Ada Author (author)</option>' in body


def _count_queries(client) -> int:
    client.get(LIST, OPENS_ON)  # a session's first request may also save the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, OPENS_ON)
    assert response.status_code == 200
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_for_5_or_40_items(
    author_client, author, reviewer, outsider
):
    owners = [author, reviewer, outsider]

    def add(n):
        for i in range(n):
            postmortem = PostmortemFactory(owner=author)
            postmortem.services.add(ServiceFactory(name="api"), ServiceFactory(name=f"db-{i % 3}"))
            item = ActionItemFactory(postmortem=postmortem, owner=owners[i % 3])
            if i % 2:
                item.complete(by=item.owner)

    add(5)
    few = _count_queries(author_client)
    add(35)
    many = _count_queries(author_client)
    assert few == many, f"{few} queries for 5 items, {many} for 40"


def test_my_items_shows_my_open_items_overdue_first(author_client, author, reviewer, today):
    ActionItemFactory(title="Later", owner=author, due_date=today + timedelta(60))
    ActionItemFactory(title="Soon", owner=author, due_date=today + timedelta(3))
    ActionItemFactory(title="Late", owner=author, due_date=today - timedelta(3))
    ActionItemFactory(title="Not mine", owner=reviewer)
    ActionItemFactory(title="Closed", owner=author).complete(by=author)

    response = author_client.get(reverse("actions:mine"))
    body = response.content.decode()
    assert "Not mine" not in body and "Closed" not in body
    assert body.index("Late") < body.index("Soon") < body.index("Later")
    assert [i.title for i in response.context["overdue"]] == ["Late"]


def test_the_list_opens_on_open_work_overdue_first_and_says_so_in_the_address(author_client, today):
    ActionItemFactory(
        title="Done long ago",
        due_date=today - timedelta(60),
        status="done",
        completed_at=timezone.now(),
    )
    ActionItemFactory(title="Due next week", due_date=today + timedelta(7))
    ActionItemFactory(
        title="Overdue", due_date=today - timedelta(3), status="blocked", reason="Vendor"
    )

    response = author_client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?status=not_closed&o=overdue"
    opened = author_client.get(response["Location"])
    assert [item.title for item in opened.context["page"]] == ["Overdue", "Due next week"]
    body = opened.content.decode()
    assert '<option value="not_closed" selected>' in body
    assert '<option value="overdue" selected>Overdue first</option>' in body


def test_any_status_can_still_be_chosen_overdue_first(author_client, today):
    ActionItemFactory(
        title="Done long ago",
        due_date=today - timedelta(60),
        status="done",
        completed_at=timezone.now(),
    )
    ActionItemFactory(title="Due next week", due_date=today + timedelta(7))
    ActionItemFactory(title="Overdue", due_date=today - timedelta(3))

    response = author_client.get(LIST, {"status": "", "o": "overdue"})
    assert [i.title for i in response.context["page"]] == [
        "Overdue",
        "Done long ago",
        "Due next week",
    ]
    by_due = author_client.get(LIST, {"status": "", "o": "due"})
    assert [i.title for i in by_due.context["page"]] == [
        "Done long ago",
        "Overdue",
        "Due next week",
    ]
