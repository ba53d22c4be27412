"""Repeat contributing factors: the same category on the same service in incidents at most
90 days apart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

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


def _close_together(ids: set[int], moments: dict[int, datetime]) -> list[int]:
    """The incidents, in time order, whose previous or next one is at most REACH away."""
    ordered = sorted(ids & moments.keys(), key=moments.__getitem__)
    near = [moments[b] - moments[a] <= REACH for a, b in pairwise(ordered)]
    return [
        pk
        for pk, before, after in zip(ordered, [False, *near], [*near, False], strict=True)
        if before or after
    ]


def repeat_factors(filters: Filters) -> list[Repeat]:
    """Both incidents come from the filtered period, and are compared in the reader's local
    time. Two queries fetch when each incident happened and the incidents of each (service,
    category); two small ones then name the services and, for the most repeated, the
    incidents the page lists.
    """
    incidents, zone = filters.incidents(), filters.zone
    moments = {
        pk: timezone.localtime(occurred, zone).replace(tzinfo=None)
        for pk, occurred in incidents.values_list("pk", "occurred")
    }
    groups: dict[tuple[int, str], set[int]] = defaultdict(set)
    factors = (
        ContributingFactor.objects.filter(postmortem__in=incidents.values("pk"))
        .annotate(service=F("postmortem__services"))
        .filter(service__isnull=False)
        .order_by()
        .values_list("service", "category", "postmortem")
        .distinct()
    )
    for service, category, postmortem in factors:
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


def repeat_factors_chart(filters: Filters) -> Chart:
    repeats = repeat_factors(filters)
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
