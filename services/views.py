from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from services.forms import ServiceForm
from services.models import Service


def service_list(request: HttpRequest) -> HttpResponse:
    # The template asks reporting for the budgets (see reporting/templatetags/budgets.py).
    return render(
        request, "services/service_list.html", {"services": Service.objects.select_related("team")}
    )


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The template asks postmortems for the rows the person looking may read
    # (see postmortems/templatetags/service_postmortems.py).
    service = get_object_or_404(Service.objects.select_related("team"), pk=pk)
    return render(request, "services/service_detail.html", {"service": service})


def service_create(request: HttpRequest) -> HttpResponse:
    form = ServiceForm(request.POST or None)
    if form.is_valid():
        service = form.save()
        messages.success(request, f"Service “{service.name}” created.")
        return redirect(service)
    return render(request, "services/service_form.html", {"form": form, "service": None})


def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    form = ServiceForm(request.POST or None, instance=service)
    if form.save_if_current():
        messages.success(request, f"Service “{service.name}” saved.")
        return redirect(service)
    return render(request, "services/service_form.html", {"form": form, "service": service})
