from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from postmortems import access
from services.forms import ServiceForm
from services.models import Service


def service_list(request: HttpRequest) -> HttpResponse:
    # The template asks reporting for the budgets (see reporting/templatetags/budgets.py).
    return render(
        request, "services/service_list.html", {"services": Service.objects.select_related("team")}
    )


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("team"), pk=pk)
    readable = access.readable_postmortems(request, service.postmortems.all())
    postmortems = (
        readable.select_related("owner")
        .with_impact()
        .annotate(impact_length=F("impact_end") - F("impact_start"))
    )
    page = Paginator(postmortems, 25).get_page(request.GET.get("page"))
    rows = [(pm, _consumed(service, pm.impact_length)) for pm in page]
    return render(
        request,
        "services/service_detail.html",
        {"service": service, "page": page, "rows": rows},
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
    return {"form": form, "service": form.instance}
