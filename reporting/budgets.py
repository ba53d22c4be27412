"""The error budget customer impact consumes, per postmortem and per service window.

A postmortem's impact is `Postmortem.objects.with_impact()`: the one definition there is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from postmortems import access
from postmortems.models import Postmortem, TimelineEvent
from services.models import Service


def _ended_since(moment: datetime):
    """The postmortems whose impact may have ended after `moment`: a cheap first filter."""
    late_ends = (
        TimelineEvent.objects.order_by()
        .filter(kind=TimelineEvent.Kind.IMPACT_END, occurred_at__gte=moment)
        .values("postmortem_id")
    )
    # One set rather than an OR: PostgreSQL sizes a union from both tables' statistics, while
    # for the OR it guesses half the postmortems and plans (and compiles) for that many.
    recent = Postmortem.objects.order_by().filter(mitigated_at__gte=moment).values("pk")
    return recent.union(late_ends)


def impact_in_windows(services: list[Service], *, now: datetime, viewer) -> dict[int, timedelta]:
    """Impact inside each service's current window (now − window_days … now), in one query.

    Impact that began before the window counts from the window's start; impact with no end
    yet is not counted. Only the incidents `viewer` may read count, so that a budget tells
    nothing of a hidden one (None: all count, for reports of the whole site).
    """
    if not services:
        return {}
    window_starts = {s.pk: now - timedelta(days=s.window_days) for s in services}
    postmortems = Postmortem.objects.order_by().filter(
        pk__in=_ended_since(min(window_starts.values())), services__in=services
    )
    if viewer is not None and not viewer.is_superuser:
        postmortems = postmortems.exclude(pk__in=access.hidden_postmortems(viewer).values("pk"))
    rows = postmortems.with_impact().values_list("services", "impact_start", "impact_end")
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
