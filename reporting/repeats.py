"""Repeat contributing factors: the same category on the same service in incidents at most
90 days apart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from itertools import pairwise

from django.db.models.functions import TruncTime
from django.urls import reverse

from postmortems.models import ContributingFactor, Postmortem
from reporting.charts import Chart
from reporting.filters import Filters
from services.models import Service

REACH = timedelta(days=90)
SHOWN_REPEATS, SHOWN_PER_REPEAT = 15, 8


@dataclass
class Repeat:
    service: str
    service_id: int
    category: str
    postmortem_ids: list[int]
    first: date
    last: date
    # The latest few, with their titles and links, for the repeats the page lists.
    shown: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.postmortem_ids)

    @property
    def references(self) -> str:
        return " ".join(map("PM-{}".format, self.postmortem_ids))


Moment = tuple[date, time]  # on the reader's clock: the day, and the time of day


def _near(earlier: Moment, later: Moment) -> bool:
    apart = later[0] - earlier[0]
    return apart < REACH or (apart == REACH and later[1] <= earlier[1])


def _close_together(ids: list[int], moments: dict[int, Moment]) -> list[int]:
    """The incidents (in time order) whose previous or next one is at most REACH away."""
    near = [_near(moments[a], moments[b]) for a, b in pairwise(ids)]
    return [
        pk
        for pk, before, after in zip(ids, [False, *near], [*near, False], strict=True)
        if before or after
    ]


def repeat_factors(filters: Filters, factors: list[tuple[int, str, int]]) -> list[Repeat]:
    """Both incidents come from the filtered period, and are compared in the reader's local
    time. From the incidents' factors (charts.incident_factors), one query fetches when each
    incident happened, in time order, with its services; two small ones then name the
    services and, for the most repeated, the incidents the page lists.
    """
    # A tuple per incident rather than a list: Python's garbage collector stops tracking
    # tuples of strings, while thousands of lists alive through the query below reach its
    # oldest generation, and its full collections (100 ms) then come every few page loads.
    categories: dict[int, tuple[str, ...]] = {}
    for postmortem, category, _ in factors:
        categories[postmortem] = (*categories.get(postmortem, ()), category)
    # The day and time of day rather than an aware datetime: they load several times faster.
    rows = (
        filters.incidents()
        .order_by("occurred", "pk")
        .values_list(
            "pk",
            filters.day_of("occurred"),
            TruncTime("occurred", tzinfo=filters.zone),
            "services",
        )
    )
    moments: dict[int, Moment] = {}
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)  # each in time order
    for pk, day, clock, service in rows:
        moments[pk] = day, clock
        for category in categories.get(pk, ()) if service else ():
            groups[service, category].append(pk)
    # An incident written since the factors were read is left out: it has no factors.
    found = {key: close for key, ids in groups.items() if (close := _close_together(ids, moments))}
    if not found:
        return []
    names = dict(Service.objects.filter(pk__in={s for s, _ in found}).values_list("pk", "name"))
    labels = dict(ContributingFactor.Category.choices)
    repeats = sorted(
        (
            Repeat(names[s], s, labels[c], ids, moments[ids[0]][0], moments[ids[-1]][0])
            for (s, c), ids in found.items()
        ),
        key=lambda r: (-r.count, r.service, r.category),
    )
    listed = repeats[:SHOWN_REPEATS]
    titles = dict(
        Postmortem.objects.filter(
            pk__in={pk for r in listed for pk in r.postmortem_ids[-SHOWN_PER_REPEAT:]}
        ).values_list("pk", "title")
    )
    for repeat in listed:
        repeat.shown = [
            {
                "reference": f"PM-{pk}",
                "title": titles.get(pk, ""),  # "": deleted since
                "day": moments[pk][0],
                "url": reverse("postmortems:detail", args=[pk]),
            }
            for pk in repeat.postmortem_ids[-SHOWN_PER_REPEAT:]
        ]
    return repeats


def repeat_factors_chart(filters: Filters, factors: list[tuple[int, str, int]]) -> Chart:
    repeats = repeat_factors(filters, factors)
    return Chart(
        slug="repeats",
        title="Repeat contributing factors",
        columns=["Service", "Category", "Incidents", "Postmortems", "First", "Last"],
        rows=[[r.service, r.category, r.count, r.references, r.first, r.last] for r in repeats],
        series=[],
        kind="table",
        description="The same category on the same service in incidents at most 90 days "
        "apart, among the incidents shown.",
        details=repeats[:SHOWN_REPEATS],
    )
