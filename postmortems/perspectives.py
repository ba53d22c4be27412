"""The timeline by perspective: the postmortem's own events beside each participant's account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from postmortems.models import Interview, Postmortem, ProposedEvent


@dataclass
class Column:
    heading: str
    interview: Interview | None  # None: the postmortem's timeline


@dataclass
class Row:
    moment: datetime
    cells: list[list]  # per column, what it has at that moment: events or proposals


def perspective_table(
    *, postmortem: Postmortem, interviews: QuerySet[Interview]
) -> tuple[list[Column], list[Row]]:
    """One row per moment, one column per source: the timeline, then each interview's
    proposals (accepted ones too, which the timeline also shows with their source); moments
    in order, so that accounts of the same minute sit side by side."""
    interviews = list(interviews.select_related("participant"))
    columns = [Column("Timeline", None)] + [Column(i.participant_label, i) for i in interviews]
    entries: list[tuple[int, datetime, object]] = [
        (0, event.occurred_at, event) for event in postmortem.events.all()
    ]
    position = {interview.pk: n for n, interview in enumerate(interviews, 1)}
    proposals = ProposedEvent.objects.filter(interview__in=interviews).exclude(
        state=ProposedEvent.State.DISMISSED
    )
    entries += [(position[p.interview_id], p.occurred_at, p) for p in proposals]
    by_moment: dict[datetime, list[list]] = {}
    for column, moment, entry in entries:
        minute = moment.replace(second=0, microsecond=0)
        by_moment.setdefault(minute, [[] for _ in columns])[column].append(entry)
    rows = [Row(moment, cells) for moment, cells in sorted(by_moment.items())]
    return columns, rows
