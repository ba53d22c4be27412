"""Repeat contributing factors: the same category on the same service in incidents at most
90 days apart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.urls import reverse

from postmortems.models import ContributingFactor, Postmortem
from reporting.charts import Chart
from reporting.filters import Filters, ServiceLink
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


def _close_together(ids: set[int], moments: dict[int, datetime]) -> list[int]:
    """The incidents, in time order, whose previous or next one is at most REACH away."""
    ordered = sorted(ids & moments.keys(), key=moments.__getitem__)
    near = [moments[b] - moments[a] <= REACH for a, b in pairwise(ordered)]
    return [
        pk
        for pk, before, after in zip(ordered, [False, *near], [*near, False], strict=True)
        if before or after
    ]


def repeat_factors(filters: Filters, factors: list[tuple[int, str, int]]) -> list[Repeat]:
    """Both incidents come from the filtered period, and are compared in the reader's local
    time. From the incidents' factors (charts.incident_factors), two queries fetch when each
    incident happened and its services; two small ones then name the services and, for the
    most repeated, the incidents the page lists.
    """
    incidents, zone = filters.incidents(), filters.zone
    moments = {
        pk: occurred.astimezone(zone).replace(tzinfo=None)
        for pk, occurred in incidents.values_list("pk", "occurred")
    }
    services = defaultdict(list)
    links = ServiceLink.objects.filter(postmortem__in=incidents.values("pk"))
    for postmortem, service in links.values_list("postmortem", "service"):
        services[postmortem].append(service)
    groups: dict[tuple[int, str], set[int]] = defaultdict(set)
    for postmortem, category, _ in factors:
        for service in services[postmortem]:
            groups[service, category].add(postmortem)
    # An incident written between the two queries has no moment; it is left out.
    found = {key: close for key, ids in groups.items() if (close := _close_together(ids, moments))}
    if not found:
        return []
    names = dict(Service.objects.filter(pk__in={s for s, _ in found}).values_list("pk", "name"))
    labels = dict(ContributingFactor.Category.choices)
    repeats = sorted(
        (
            Repeat(names[s], s, labels[c], ids, moments[ids[0]].date(), moments[ids[-1]].date())
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
                "day": moments[pk].date(),
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
