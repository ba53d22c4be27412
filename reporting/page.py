"""The metrics page: every chart, kept in Django's cache under a key that moves with the data."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, Subquery, Value
from django.utils import timezone

from actions.models import ActionItem
from postmortems.models import ContributingFactor, Postmortem, Recurrence, TimelineEvent
from reporting import charts
from reporting.filters import Filters, ServiceLink
from reporting.recurrences import recurrence_rate_chart
from reporting.repeats import repeat_factors_chart
from services.models import Service

CACHE_SECONDS = 5 * 60


def all_charts(filters: Filters, *, now: datetime) -> dict[str, charts.Chart]:
    today = timezone.localdate(now)
    # Charts that read the same rows share one query.
    incidents, factors = charts.incident_figures(filters), charts.incident_factors(filters)
    return {
        "incidents": charts.incidents_by_month(filters, incidents),
        "response-times": charts.response_times(filters, incidents),
        "quality": charts.quality_by_team(filters),
        "error-budget": charts.error_budgets(filters, now=now),
        "action-items": charts.action_items_weekly(filters),
        "overdue": charts.open_overdue(filters, today=today),
        "follow-through": charts.follow_through(filters, today=today),
        "factors": charts.factor_categories(factors),
        "repeats": repeat_factors_chart(filters, factors),
        "recurrences": recurrence_rate_chart(filters, incidents),
    }


def cached_charts(filters: Filters, *, now: datetime) -> dict[str, charts.Chart]:
    """all_charts(), kept for a few minutes under a key made of all they depend on: the
    filters, what the viewer may not see, today's date and the latest change to the data.
    A change moves the key, so the next page load computes the charts afresh; the old
    entry is simply never read again. A chart's CSV is read from the same entry.
    """
    return cache.get_or_set(
        cache_key(filters, now=now), lambda: all_charts(filters, now=now), CACHE_SECONDS
    )


def cache_key(filters: Filters, *, now: datetime) -> str:
    parts = (
        filters.start,
        filters.end,
        getattr(filters.service, "pk", None),
        getattr(filters.team, "pk", None),
        filters.severity,
        filters.audience(),
        timezone.localdate(now),
        timezone.get_current_timezone_name(),
        change_stamp(),
    )
    return "metrics:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def change_stamp() -> tuple:
    """What moves whenever anything the charts read changes, read in two queries.

    Per table the charts read: the latest id (rows added, in bulk too), the latest
    `updated_at` where there is one (a save, or an update() that sets it), and the latest
    history id (every save and delete through the models, which django-simple-history
    records). The links between postmortems and services keep no history: their count
    follows removals. Each latest value is a subquery that reads one end of an index; the
    few services are read whole.
    """
    latest: dict[str, Subquery] = {}
    for model in (Postmortem, TimelineEvent, ContributingFactor, ActionItem):
        name = model._meta.model_name
        latest[f"{name}_id"] = _greatest(model.objects, "pk")
        if any(f.name == "updated_at" for f in model._meta.fields):
            latest[f"{name}_updated"] = _greatest(model.objects, "updated_at")
        # The historical model from the registry: `model.history` builds a manager class
        # on each access, which cost more than the rest of the stamp.
        history = apps.get_model(model._meta.app_label, f"Historical{model.__name__}")
        latest[f"{name}_history"] = _greatest(history._default_manager, "history_id")
    # Decisions on recurrences keep no history: the latest decision moves the key.
    latest["recurrence_id"] = _greatest(Recurrence.objects, "pk")
    latest["recurrence_decided"] = _greatest(Recurrence.objects, "decided_at")
    # Grouped by a constant: one row, the count of all links.
    links = ServiceLink.objects.order_by().annotate(all=Value(1)).values("all")
    latest["links"] = Subquery(links.annotate(n=Count("pk")).values("n"))
    latest["last_link"] = _greatest(ServiceLink.objects, "pk")
    # The subqueries hang on a row that is always there: the content type of Postmortem.
    anchor = ContentType.objects.filter(app_label="postmortems", model="postmortem")
    stamp = anchor.values_list(*latest.values()).get()
    services = Service.objects.order_by("pk").values_list(
        "pk", "name", "team__display_name", "slo_target", "window_days"
    )
    return (*stamp, *services)


def _greatest(manager, field: str) -> Subquery:
    """The greatest value of `field` (None for no rows): the first one along its index."""
    return Subquery(manager.order_by(f"-{field}").values(field)[:1])
