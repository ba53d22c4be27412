"""Repeat contributing factors: the same category on the same service in incidents at most
90 days apart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

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


def _close_together(ids: list[int], near: Callable[[int, int], bool]) -> list[int]:
    """The incidents (in time order) whose previous or next one is near."""
    close = [near(a, b) for a, b in pairwise(ids)]
    return [
        pk
        for pk, before, after in zip(ids, [False, *close], [*close, False], strict=True)
        if before or after
    ]


def _nearness(incidents, zone, days, groups) -> Callable[[int, int], bool]:
    """Whether an incident comes at most REACH after another on the reader's clock: their
    days tell, but for those exactly REACH apart, whose times are read in one more query."""
    exact = {
        pk
        for ids in groups.values()
        for a, b in pairwise(ids)
        if days[b] - days[a] == REACH
        for pk in (a, b)
    }
    # Aware datetimes in one zone subtract as wall-clock times, as the days do.
    moments = {
        pk: occurred.astimezone(zone)
        for pk, occurred in incidents.filter(pk__in=exact).values_list("pk", "occurred")
    }

    def near(a: int, b: int) -> bool:
        apart = days[b] - days[a]
        if apart != REACH:
            return apart < REACH
        # One deleted since is left out.
        return a in moments and b in moments and moments[b] - moments[a] <= REACH

    return near


def repeat_factors(filters: Filters, factors: list[tuple[int, str, int]]) -> list[Repeat]:
    """Both incidents come from the filtered period, and are compared in the reader's local
    time. From the incidents' factors (charts.incident_factors), one query fetches each
    incident's day and services in time order; small ones then read the times of incidents
    90 days apart to the day, name the services and, for the most repeated, the incidents
    the page lists.
    """
    incidents = filters.incidents()
    categories = defaultdict(list)
    for postmortem, category, _ in factors:
        categories[postmortem].append(category)
    # Days rather than times: times load several times slower, and few are needed.
    rows = incidents.order_by("occurred", "pk").values_list(
        "pk", filters.day_of("occurred"), "services"
    )
    days: dict[int, date] = {}
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)  # each in time order
    for pk, day, service in rows:
        days[pk] = day
        for category in categories.get(pk, ()) if service else ():
            groups[service, category].append(pk)
    near = _nearness(incidents, filters.zone, days, groups)
    # An incident written since the factors were read is left out: it has no factors.
    found = {key: close for key, ids in groups.items() if (close := _close_together(ids, near))}
    if not found:
        return []
    names = dict(Service.objects.filter(pk__in={s for s, _ in found}).values_list("pk", "name"))
    labels = dict(ContributingFactor.Category.choices)
    repeats = sorted(
        (
            Repeat(names[s], s, labels[c], ids, days[ids[0]], days[ids[-1]])
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
                "day": days[pk],
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
