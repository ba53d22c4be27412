from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from reporting import page
from reporting.csv import chart_csv
from reporting.filters import Filters
from reporting.forms import MetricsFilterForm


def _filters(request: HttpRequest) -> tuple[MetricsFilterForm, Filters | None]:
    form = MetricsFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    filters = Filters(
        start=data["start"],
        end=data["end"],
        service=data["service"],
        team=data["team"],
        severity=data["severity"],
        viewer=request.user,
    )
    return form, filters


def metrics_page(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    context = {"form": form, "query": request.GET.urlencode()}
    if filters is not None:
        charts = page.cached_charts(filters, now=timezone.now())
        context |= {
            "charts": charts,
            "totals": charts["follow-through"].summary,
            "incident_count": sum(sum(row[1:]) for row in charts["incidents"].rows),
            "near_miss_count": charts["incidents"].summary["near_misses"],
        }
    return render(request, "reporting/metrics.html", context)


def metrics_csv(request: HttpRequest, chart: str) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(
            "Invalid filters: " + form.errors.as_text(), status=400, content_type="text/plain"
        )
    data = page.cached_charts(filters, now=timezone.now()).get(chart)
    if data is None:
        raise Http404("No such chart.")
    return chart_csv(data, filters)
