"""The pages `make bench` times run as many queries for a few rows as for many.

/actions/ unfiltered, /metrics/ and meeting mode have theirs in test_action_list.py,
test_metrics.py and test_meetings.py.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.seed import seed_site
from reviews.models import Comment
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    # A session's first request moves its expiry (config/sessions.py), a write the next ones
    # don't make; and the metrics may come from memory.
    client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    page = response.context.get("page")
    assert page is None or len(page.object_list), f"{url} lists nothing: a weak comparison"
    return len(queries)


def _seed(postmortems: int, items: int) -> None:
    seed_site(
        postmortems=postmortems,
        action_items=items,
        users=4,
        years=0.5,  # recent enough that some items are still open
        force=True,
    )


@pytest.mark.parametrize(
    "url",
    [
        reverse("postmortems:list"),
        reverse("postmortems:list") + "?q=after",
        reverse("postmortems:list") + "?q=after&status=published&severity=3",
        reverse("actions:list") + "?status=not_closed&priority=P2",
        reverse("actions:list") + "?status=done&o=-created",
    ],
)
def test_lists_run_the_same_queries_for_4_or_40_postmortems(author_client, url):
    _seed(4, 30)
    few = _queries(author_client, url)
    _seed(36, 300)
    assert _queries(author_client, url) == few


@pytest.mark.parametrize(
    "query", ["?status=not_closed&overdue=on&priority=P1", "?service=API&o=-created"]
)
def test_the_action_list_runs_the_same_queries_for_a_few_or_many_items(
    author_client, author, outsider, query
):
    api, db = ServiceFactory(name="api"), ServiceFactory(name="db")
    # A restricted postmortem the viewer may not read: its items are left out, not counted.
    secret = PostmortemFactory(owner=outsider, restricted=True)
    secret.services.add(api)
    ActionItemFactory(postmortem=secret, owner=outsider, priority="P1")
    late = timezone.localdate() - timedelta(days=3)

    def add(count: int) -> None:
        for n in range(count):
            postmortem = PostmortemFactory(owner=author)
            postmortem.services.add(api, db)
            item = ActionItemFactory(postmortem=postmortem, priority="P1", due_date=late)
            if n % 3 == 0:
                item.complete(by=item.owner)

    url = reverse("actions:list") + query
    add(6)
    author_client.get(url)  # a session's first request may also save the session
    few = _queries(author_client, url)
    add(80)
    assert _queries(author_client, url) == few
    assert _queries(author_client, url + "&page=2") == few


def test_a_postmortem_page_runs_the_same_queries_for_3_or_60_of_everything(author_client, outsider):
    postmortem = PostmortemFactory(owner=outsider, summary="**Checkout** failed.")

    def add(count: int) -> None:
        TimelineEventFactory.create_batch(count, postmortem=postmortem)
        ContributingFactorFactory.create_batch(count, postmortem=postmortem)
        ActionItemFactory.create_batch(count, postmortem=postmortem)
        for _ in range(count):
            Comment.objects.create(postmortem=postmortem, author=outsider, body="Agreed.")

    add(3)
    few = _queries(author_client, postmortem.get_absolute_url())
    add(57)
    assert _queries(author_client, postmortem.get_absolute_url()) == few


def test_my_items_run_the_same_queries_for_3_or_60_items(author_client, author):
    ActionItemFactory.create_batch(3, owner=author)
    few = _queries(author_client, reverse("actions:mine"))
    ActionItemFactory.create_batch(57, owner=author)  # more than a page
    assert _queries(author_client, reverse("actions:mine")) == few
    assert _queries(author_client, reverse("actions:mine") + "?page=2") == few
