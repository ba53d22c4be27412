"""Customer impact and the error budget it consumes, per postmortem and per service window.

The impact of a postmortem runs from its first impact-start event (else "impact started") to
its last impact-end event (else "mitigated"), as `Postmortem.impact_duration` says in Python;
`impact_start` and `impact_end` say the same in SQL so that pages aggregate in the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from postmortems import access
from postmortems.models import Postmortem, TimelineEvent
from services.models import Service


def _event_time(kind: str, *, prefix: str, last: bool) -> Subquery:
    events = TimelineEvent.objects.filter(postmortem=OuterRef(f"{prefix}pk"), kind=kind)
    order = "-occurred_at" if last else "occurred_at"
    return Subquery(events.order_by(order).values("occurred_at")[:1])


def impact_start(prefix: str = "") -> Coalesce:
    """When impact started, as SQL; `prefix` reaches the postmortem ("postmortem__")."""
    first = _event_time(TimelineEvent.Kind.IMPACT_START, prefix=prefix, last=False)
    return Coalesce(first, F(f"{prefix}started_at"), output_field=DateTimeField())


def impact_end(prefix: str = "") -> Coalesce:
    last = _event_time(TimelineEvent.Kind.IMPACT_END, prefix=prefix, last=True)
    return Coalesce(last, F(f"{prefix}mitigated_at"), output_field=DateTimeField())


def ended_since(moment: datetime, prefix: str = "") -> Q:
    """A cheap filter that keeps every postmortem whose impact may have ended after `moment`."""
    late_ends = TimelineEvent.objects.filter(
        kind=TimelineEvent.Kind.IMPACT_END, occurred_at__gte=moment
    ).values("postmortem_id")
    if connection.vendor == "postgresql":
        # As one set, which the planner sizes from both tables' statistics; for an OR it
        # guesses half the postmortems, and a plan that costly gets compiled (JIT) for longer
        # than it runs.
        recent = Postmortem.objects.filter(mitigated_at__gte=moment).values("pk")
        return Q(**{f"{prefix}pk__in": recent.union(late_ends)})
    # SQLite looks the late events up per postmortem in the index on (postmortem,
    # occurred_at), rather than reading every event.
    late_ends = late_ends.filter(postmortem=OuterRef(f"{prefix}pk"))
    return Q(**{f"{prefix}mitigated_at__gte": moment}) | Q(Exists(late_ends))


def impact_in_windows(services: list[Service], *, now: datetime, viewer) -> dict[int, timedelta]:
    """Impact inside each service's current window (now − window_days … now), in one query.

    Impact that began before the window counts from the window's start; impact with no end
    yet is not counted. The query fetches the start and end of the impact of each postmortem
    that may reach into a window, and the overlaps are summed here: in a WHERE clause the
    subqueries for the start and end may run for every link before the cheap filter narrows
    them down, as PostgreSQL's planner chooses; in the SELECT they run for the few left.
    Only the incidents `viewer` may read count, so that a budget tells nothing of a hidden
    one (None: all count, for reports of the whole site).
    """
    if not services:
        return {}
    window_starts = {s.pk: now - timedelta(days=s.window_days) for s in services}
    ended = Postmortem.objects.filter(ended_since(min(window_starts.values())))
    if viewer is not None and not viewer.is_superuser:
        ended = ended.exclude(pk__in=access.hidden_postmortems(viewer).values("pk"))
    rows = Postmortem.services.through.objects.filter(
        service__in=services, postmortem__in=ended.values("pk")
    ).values_list("service_id", impact_start("postmortem__"), impact_end("postmortem__"))
    impact: dict[int, timedelta] = defaultdict(timedelta)
    for service, start, end in rows:
        if start is not None and end is not None:
            overlap = min(end, now) - max(start, window_starts[service])
            if overlap > timedelta():
                impact[service] += overlap
    return impact


@dataclass(frozen=True)
class ServiceBudget:
    service: Service
    impact: timedelta

    @property
    def impact_minutes(self) -> Decimal:
        return Decimal(self.impact.total_seconds() / 60).quantize(Decimal("0.1"))

    @property
    def consumed(self) -> Decimal:
        return self.service.budget_consumed(self.impact_minutes)

    @property
    def remaining_minutes(self) -> Decimal:
        return (self.service.budget_minutes - self.impact_minutes).quantize(Decimal("0.1"))

    @property
    def level(self) -> str:
        """A Bootstrap colour: green under half the budget, amber under all of it, red over."""
        if self.consumed >= 100:
            return "danger"
        return "warning" if self.consumed >= 50 else "success"

    @property
    def bar_width(self) -> Decimal:
        return min(self.consumed, Decimal(100))


def service_budgets(services: list[Service], *, now: datetime, viewer) -> list[ServiceBudget]:
    """Each service's current window, as `viewer` may know it: the impact of the incidents
    they may read, and the share of the budget it consumed."""
    impact = impact_in_windows(services, now=now, viewer=viewer)
    return [ServiceBudget(s, impact.get(s.pk) or timedelta()) for s in services]


def postmortem_budgets(postmortem: Postmortem) -> list[ServiceBudget]:
    """The error budget this postmortem's impact cost each affected service."""
    duration = postmortem.impact_duration
    if duration is None:
        return []
    return [ServiceBudget(s, duration) for s in postmortem.services.all()]
