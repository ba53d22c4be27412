from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from teams.forms import TeamCreateForm, TeamForm
from teams.models import Team
from teams.services import team_create

STAFF_ONLY = "Only staff create and edit teams."


def _require_staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(STAFF_ONLY)


def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.with_member_counts().prefetch_related("services")
    return render(request, "teams/team_list.html", {"teams": teams})


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("group"), slug=slug)
    # Its postmortems come from the template (postmortems' `team_postmortems` tag), which
    # asks the access rules: this app sits below postmortems and imports nothing of it.
    return render(
        request,
        "teams/team_detail.html",
        {"team": team, "members": team.members, "services": team.services.all()},
    )


@require_http_methods(["GET", "POST"])
def team_create_view(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = TeamCreateForm(request.POST or None)
    if form.is_valid():
        team = team_create(**form.cleaned_data)
        messages.success(request, f"Team “{team}” created.")
        return redirect(team)
    return render(request, "teams/team_form.html", {"form": form, "team": None})


@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, slug: str) -> HttpResponse:
    _require_staff(request)
    team = get_object_or_404(Team.objects.select_related("group"), slug=slug)
    form = TeamForm(request.POST or None, instance=team)
    if form.save_if_current():
        messages.success(request, f"Team “{team}” saved.")
        return redirect(team)
    return render(request, "teams/team_form.html", {"form": form, "team": team})
