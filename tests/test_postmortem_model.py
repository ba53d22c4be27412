from datetime import UTC, date, datetime, timedelta

import pytest

from postmortems.models import Postmortem, TimelineEvent
from postmortems.templatetags.debrief import duration
from tests.factories import PostmortemFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_durations_are_measured_from_the_start_of_impact():
    postmortem = PostmortemFactory.build(
        started_at=START,
        detected_at=START + timedelta(minutes=4),
        mitigated_at=START + timedelta(minutes=41),
        resolved_at=START + timedelta(hours=26, minutes=3),
    )
    assert postmortem.time_to_detect == timedelta(minutes=4)
    assert duration(postmortem.time_to_detect) == "4 min"
    assert duration(postmortem.time_to_mitigate) == "41 min"
    assert duration(postmortem.time_to_resolve) == "1 d 2 h"
    assert duration(timedelta(hours=2, minutes=5)) == "2 h 05 min"


def test_durations_are_unknown_without_a_start_or_when_out_of_order():
    assert PostmortemFactory.build(started_at=None, detected_at=START).time_to_detect is None
    backwards = PostmortemFactory.build(started_at=START, detected_at=START - timedelta(hours=1))
    assert backwards.time_to_detect is None
    assert duration(None) == "—"


def test_out_of_order_key_times_are_explained():
    postmortem = PostmortemFactory.build(
        time_zone="Europe/Berlin",
        started_at=START,
        detected_at=START + timedelta(minutes=30),
        resolved_at=START + timedelta(minutes=10),
    )
    assert postmortem.timestamp_warnings() == [
        "Resolved (2026-03-02 15:10) is before detected (2026-03-02 15:30)."
    ]
    in_order = PostmortemFactory.build(started_at=START, resolved_at=START + timedelta(hours=1))
    assert in_order.timestamp_warnings() == []


def test_key_events_set_the_key_timestamps():
    postmortem = PostmortemFactory(started_at=None)
    TimelineEventFactory(
        postmortem=postmortem, occurred_at=START, kind=TimelineEvent.Kind.IMPACT_START
    )
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=START + timedelta(minutes=9),
        kind=TimelineEvent.Kind.DETECTION,
    )
    TimelineEventFactory(
        postmortem=postmortem,
        occurred_at=START + timedelta(minutes=7),
        kind=TimelineEvent.Kind.DETECTION,
    )
    postmortem.sync_key_times()
    postmortem.refresh_from_db()
    assert postmortem.started_at == START
    assert postmortem.detected_at == START + timedelta(minutes=7)
    assert postmortem.resolved_at is None


def test_search_finds_words_in_title_summary_and_impact_and_the_reference():
    by_title = PostmortemFactory(title="Checkout outage", summary="")
    by_impact = PostmortemFactory(title="Other", summary="", impact="Checkout was slow")
    PostmortemFactory(title="Unrelated", summary="Search lag")
    assert set(Postmortem.objects.search("checkout")) == {by_title, by_impact}
    assert list(Postmortem.objects.search(f"pm-{by_impact.pk}")) == [by_impact]


def test_the_human_reference_and_url():
    postmortem = PostmortemFactory()
    assert postmortem.reference == f"PM-{postmortem.pk}"
    assert postmortem.get_absolute_url() == f"/postmortems/{postmortem.pk}/"
    assert str(postmortem).startswith(postmortem.reference)


def test_timeline_events_come_in_time_order_whatever_the_order_they_were_added():
    postmortem = PostmortemFactory()
    late = TimelineEventFactory(postmortem=postmortem, occurred_at=START + timedelta(hours=1))
    early = TimelineEventFactory(postmortem=postmortem, occurred_at=START)
    assert list(postmortem.events.all()) == [early, late]


@pytest.mark.parametrize(
    ("resolved", "deadline"),
    [
        (datetime(2026, 3, 6, 10, 0, tzinfo=UTC), datetime(2026, 3, 13, 10, 0, tzinfo=UTC)),
        (datetime(2026, 3, 4, 10, 0, tzinfo=UTC), datetime(2026, 3, 11, 10, 0, tzinfo=UTC)),
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), datetime(2026, 3, 13, 10, 0, tzinfo=UTC)),
    ],
    ids=["friday", "wednesday", "saturday"],
)
def test_a_sev2_review_is_due_five_business_days_after_resolution(resolved, deadline):
    postmortem = PostmortemFactory.build(severity=2, resolved_at=resolved, time_zone="UTC")
    assert postmortem.review_deadline == deadline


def test_business_days_are_counted_in_the_incidents_time_zone():
    # Friday 23:30 in New York is already Saturday in UTC: the count starts from Friday.
    resolved = datetime(2026, 3, 7, 4, 30, tzinfo=UTC)
    new_york = PostmortemFactory.build(
        severity=2, resolved_at=resolved, time_zone="America/New_York"
    )
    deadline = new_york.review_deadline
    assert (deadline.date(), deadline.hour) == (date(2026, 3, 13), 23)
    sev1 = PostmortemFactory.build(severity=1, resolved_at=resolved, time_zone="UTC")
    assert sev1.review_deadline == resolved + timedelta(days=3)
    sev3 = PostmortemFactory.build(severity=3, resolved_at=resolved, time_zone="UTC")
    assert sev3.review_deadline is None


def test_a_draft_not_yet_resolved_has_no_review_deadline():
    assert PostmortemFactory.build(severity=1, resolved_at=None).review_deadline is None
