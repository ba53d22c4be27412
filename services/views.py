from __future__ import annotations

import csv
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import DurationField, ExpressionWrapper
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from actions.services import csv_safe
from postmortems import access
from services import metrics
from services.budget import impact_end, impact_start, service_budgets
from services.forms import MetricsFilterForm, ServiceForm
from services.models import Service


def service_list(request: HttpRequest) -> HttpResponse:
    budgets = service_budgets(list(Service.objects.all()), now=timezone.now(), viewer=request.user)
    return render(request, "services/service_list.html", {"budgets": budgets})


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    (budget,) = service_budgets([service], now=timezone.now(), viewer=request.user)
    readable = access.readable_postmortems(request, service.postmortems.all())
    postmortems = readable.select_related("owner").annotate(
        impact_length=ExpressionWrapper(impact_end() - impact_start(), output_field=DurationField())
    )
    page = Paginator(postmortems, 25).get_page(request.GET.get("page"))
    rows = [(pm, _consumed(service, pm.impact_length)) for pm in page]
    return render(
        request,
        "services/service_detail.html",
        {"service": service, "budget": budget, "page": page, "rows": rows},
    )


def _consumed(service: Service, impact: timedelta | None):
    if impact is None or impact < timedelta():
        return None
    return service.budget_consumed(round(impact.total_seconds() / 60, 1))


def service_create(request: HttpRequest) -> HttpResponse:
    form = ServiceForm(request.POST or None)
    if form.is_valid():
        service = form.save()
        messages.success(request, f"Service “{service.name}” created.")
        return redirect(service)
    return render(request, "services/service_form.html", _form_context(form))


def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    form = ServiceForm(request.POST or None, instance=service)
    if form.save_if_current():
        messages.success(request, f"Service “{service.name}” saved.")
        return redirect(service)
    return render(request, "services/service_form.html", _form_context(form))


def _form_context(form: ServiceForm) -> dict:
    teams = Service.objects.exclude(team="").order_by("team").values_list("team", flat=True)
    return {"form": form, "service": form.instance, "teams": teams.distinct()}


def _filters(request: HttpRequest) -> tuple[MetricsFilterForm, metrics.Filters | None]:
    form = MetricsFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    filters = metrics.Filters(
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
        charts = metrics.cached_charts(filters, now=timezone.now())
        context |= {
            "charts": charts,
            "totals": charts["follow-through"].summary,
            "incident_count": sum(sum(row[1:]) for row in charts["incidents"].rows),
        }
    return render(request, "metrics/metrics.html", context)


def metrics_csv(request: HttpRequest, chart: str) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(
            "Invalid filters: " + form.errors.as_text(), status=400, content_type="text/plain"
        )
    data = metrics.chart(chart, filters, now=timezone.now())
    if data is None:
        raise Http404("No such chart.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{data.slug}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(data.columns)
    for row in data.rows:
        writer.writerow([csv_safe(value) for value in row])
    return response
