import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ActionItemFactory, PostmortemFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_a_header_and_only_the_filtered_items(author_client, author):
    postmortem = PostmortemFactory(owner=author, title="Checkout outage")
    postmortem.services.add(ServiceFactory(name="checkout"))
    late = ActionItemFactory(
        postmortem=postmortem,
        owner=author,
        title="Add a lag alert",
        priority="P1",
        due_date=timezone.localdate() - timedelta(days=1),
    )
    ActionItemFactory(postmortem=postmortem, owner=author, priority="P3")

    response = author_client.get(reverse("actions:export"), {"priority": "P1"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="action-items-')
    header, *rows = _rows(response)
    assert header[:8] == [
        "id",
        "title",
        "status",
        "priority",
        "kind",
        "owner",
        "due_date",
        "overdue",
    ]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["title"] == "Add a lag alert" and row["overdue"] == "yes"
    assert row["postmortem"] == postmortem.reference and row["services"] == "checkout"
    assert row["url"].endswith(late.get_absolute_url())


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1+2", "-2", "@SUM(A1)"])
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(author_client, author, title):
    ActionItemFactory(owner=author, title=title, postmortem=None)
    _, row = _rows(author_client.get(reverse("actions:export")))
    assert row[1] == "'" + title


def test_the_list_links_to_the_csv_of_the_same_filters(author_client):
    body = author_client.get(reverse("actions:list"), {"kind": "detect"}).content.decode()
    assert 'href="/actions/export.csv?kind=detect"' in body
