from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from reviews.models import Reviewer
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    TimelineEventFactory,
    UserFactory,
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


def test_the_short_export_downloads_under_a_name_of_its_own(author_client, document):
    url = reverse("postmortems:export", args=[document.pk])
    full = author_client.get(url)["Content-Disposition"]
    short = author_client.get(url, {"version": "short"})["Content-Disposition"]
    assert short == f'attachment; filename="{document.reference}-queue-stall-short.md"'
    assert short != full


@pytest.fixture
def filled(author, reviewer):
    """A postmortem with every field the export shows filled in."""
    postmortem = PostmortemFactory(
        owner=author,
        title="Checkout down: card payments | refused",
        severity=2,
        status="in_review",
        time_zone="Europe/Berlin",
        started_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC),
        detected_at=datetime(2026, 3, 2, 13, 12, tzinfo=UTC),
        mitigated_at=datetime(2026, 3, 2, 13, 47, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 2, 15, 5, tzinfo=UTC),
        summary="Card payments were refused after a **certificate** expired.",
        impact="Checkout failed for most customers.",
        customers_affected=4100,
        failed_requests=182000,
        support_tickets=37,
        went_well="The rollback took _two_ minutes.",
        went_poorly="Nobody owned the certificate.",
        got_lucky="It happened on a Monday afternoon.",
    )
    postmortem.services.add(ServiceFactory(name="checkout"), ServiceFactory(name="cdn-edge"))
    postmortem.team = TeamFactory(display_name="Payments")
    postmortem.save(update_fields=["team"])
    postmortem.coauthors.add(
        UserFactory(username="bea", first_name="Bea", last_name="Berg"),
        UserFactory(username="cy", first_name="", last_name=""),
    )
    Reviewer.objects.create(postmortem=postmortem, user=reviewer, verdict="approved")
    Reviewer.objects.create(
        postmortem=postmortem, user=UserFactory(username="dee", first_name="Dee", last_name="Dunn")
    )
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 13, 12, tzinfo=UTC),
        kind="detection",
        description="Payment error rate alert fired",
        source_url="https://chat.example.com/p/1",
        starred=True,
    )
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 13, 30, tzinfo=UTC),
        kind="note",
        description="Looked at the gateway logs",
    )
    ContributingFactorFactory(
        postmortem=postmortem, category="configuration", description="The renewal job was off"
    )
    ContributingFactorFactory(
        postmortem=postmortem, category="monitoring", description="No alert on expiry"
    )
    ActionItemFactory(
        postmortem=postmortem,
        title="Alert 14 days before a certificate expires",
        priority="P1",
        kind="detect",
        owner=reviewer,
        due_date=date(2026, 3, 30),
        tracker_url="https://tracker.example.com/OPS-7",
    )
    ActionItemFactory(
        postmortem=postmortem,
        title="Turn the renewal job back on",
        priority="P2",
        kind="prevent",
        owner=author,
        due_date=date(2026, 3, 16),
        status="done",
        completed_at=datetime(2026, 3, 4, tzinfo=UTC),
    )
    return postmortem


def test_a_fully_filled_postmortem_exports_as_this_document(author_client, filled):
    response = author_client.get(reverse("postmortems:export", args=[filled.pk]))
    pm = filled.reference
    assert response["Content-Disposition"] == (
        f'attachment; filename="{pm}-checkout-down-card-payments-refused.md"'
    )
    assert (
        response.content.decode()
        == f"""\
# {pm}: Checkout down: card payments | refused

- Severity: SEV2 (Major: a key feature is down or badly degraded for many customers.)
- Status: In review
- Owner: Ada Author
- Owning team: Payments
- Co-authors: Bea Berg, cy
- Reviewers: Rui Reviewer (approved), Dee Dunn (not reviewed yet)
- Services: cdn-edge, checkout
- Time zone: Europe/Berlin
- Impact started: 2026-03-02 14:00
- Detected: 2026-03-02 14:12
- Mitigated: 2026-03-02 14:47
- Resolved: 2026-03-02 16:05
- Time to detect: 12 min
- Time to mitigate: 47 min
- Time to resolve: 2 h 05 min

## Summary

Card payments were refused after a **certificate** expired.

## Impact

Checkout failed for most customers.

- Customers affected: 4100
- Failed requests: 182000
- Support tickets: 37

## Timeline

| Time (Europe/Berlin) | Kind | Event |
|---|---|---|
| 2026-03-02 14:12 | Detection | Payment error rate alert fired ([source](https://chat.example.com/p/1)) |
| 2026-03-02 14:30 | Note | Looked at the gateway logs |

## Contributing factors

- **Configuration:** The renewal job was off
- **Monitoring gap:** No alert on expiry

## Lessons

### What went well

The rollback took _two_ minutes.

### What went poorly

Nobody owned the certificate.

### Where we got lucky

It happened on a Monday afternoon.

## Action items

- [x] Turn the renewal job back on (P2, Prevent; owner: Ada Author; due 2026-03-16; Done)
- [ ] Alert 14 days before a certificate expires (P1, Detect; owner: Rui Reviewer; due 2026-03-30; Open) ([tracker](https://tracker.example.com/OPS-7))
"""
    )


def test_the_short_export_of_a_filled_postmortem_names_its_services(author_client, filled):
    response = author_client.get(
        reverse("postmortems:export", args=[filled.pk]), {"version": "short"}
    )
    text = response.content.decode()
    assert "- Services: cdn-edge, checkout\n" in text
    assert "QuerySet" not in text
    assert "Payment error rate alert fired" in text and "gateway logs" not in text
