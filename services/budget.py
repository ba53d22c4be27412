"""Customer impact and the error budget it consumes, per postmortem and per service window.

The impact of a postmortem runs from its first impact-start event (else "impact started") to
its last impact-end event (else "mitigated"), as `Postmortem.impact_duration` says in Python;
`impact_start` and `impact_end` say the same in SQL so that pages aggregate in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    DateTimeField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least

from postmortems.models import Postmortem, TimelineEvent
from services.models import Service
from services.sql import Minutes


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
    return Q(**{f"{prefix}mitigated_at__gte": moment}) | Q(**{f"{prefix}pk__in": late_ends})


def impact_in_windows(services: list[Service], *, now: datetime) -> dict[int, timedelta]:
    """Impact inside each service's current window (now − window_days … now), in one query.

    Impact that began before the window counts from the window's start; impact with no end
    yet is not counted.
    """
    if not services:
        return {}
    Link = Postmortem.services.through
    window_start = Case(
        *[
            When(service__window_days=days, then=Value(now - timedelta(days=days)))
            for days in sorted({s.window_days for s in services})
        ],
        output_field=DateTimeField(),
    )
    earliest = now - timedelta(days=max(s.window_days for s in services))
    rows = (
        Link.objects.filter(service__in=services)
        .filter(ended_since(earliest, prefix="postmortem__"))
        .annotate(
            start=impact_start("postmortem__"),
            end=impact_end("postmortem__"),
            window_start=window_start,
        )
        .filter(end__gt=F("window_start"), start__lt=now)
        .filter(end__gt=F("start"))
        .values("service_id")
        .annotate(
            minutes=Sum(
                Minutes(
                    Greatest("start", "window_start"),
                    Least("end", Value(now, output_field=DateTimeField())),
                )
            )
        )
        .order_by()
    )
    return {row["service_id"]: timedelta(minutes=row["minutes"]) for row in rows}


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


def service_budgets(services: list[Service], *, now: datetime) -> list[ServiceBudget]:
    """Each service's current window: its impact and the share of its budget consumed."""
    impact = impact_in_windows(services, now=now)
    return [ServiceBudget(s, impact.get(s.pk) or timedelta()) for s in services]


def postmortem_budgets(postmortem: Postmortem) -> list[ServiceBudget]:
    """The error budget this postmortem's impact cost each affected service."""
    duration = postmortem.impact_duration
    if duration is None:
        return []
    return [ServiceBudget(s, duration) for s in postmortem.services.all()]
