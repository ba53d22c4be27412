from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(author):
    postmortem = PostmortemFactory(
        owner=author,
        title="Queue stall",
        time_zone="Europe/Berlin",
        started_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC),
        detected_at=datetime(2026, 3, 2, 13, 25, tzinfo=UTC),
        summary="The indexer **stopped**.",
    )
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 13, 25, tzinfo=UTC),
        kind="detection",
        description="Lag alert | paged",
        starred=True,
    )
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 13, 10, tzinfo=UTC),
        description="Chatter\nover two lines",
    )
    ContributingFactorFactory(postmortem=postmortem, description="No dead-letter topic")
    ActionItemFactory(postmortem=postmortem, title="Add a dead-letter topic", status="done",
                      completed_at=datetime(2026, 3, 5, tzinfo=UTC))  # fmt: skip
    return postmortem


def test_the_export_is_a_markdown_download_of_the_whole_postmortem(author_client, document):
    response = author_client.get(reverse("postmortems:export", args=[document.pk]))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{document.reference}-queue-stall.md"'
    )
    text = response.content.decode()
    assert text.startswith(f"# {document.reference}: Queue stall")
    assert "The indexer **stopped**." in text
    assert "- Time to detect: 25 min" in text
    assert "| 2026-03-02 14:10 | Note | Chatter over two lines |" in text
    assert "| 2026-03-02 14:25 | Detection | Lag alert \\| paged |" in text
    assert text.index("| 2026-03-02 14:10") < text.index("| 2026-03-02 14:25")
    assert "**Monitoring gap:** No dead-letter topic" in text
    assert "- [x] Add a dead-letter topic" in text


def test_the_short_export_keeps_only_starred_events(author_client, document):
    response = author_client.get(
        reverse("postmortems:export", args=[document.pk]), {"version": "short"}
    )
    text = response.content.decode()
    assert "Lag alert" in text and "Chatter" not in text
    assert "## Timeline (key events)" in text
