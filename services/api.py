"""The API of services: what customers depend on and the SLO each promises; read-only."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from config.restapi import DEFAULT_LIMIT, Id, Limit, page_of, paginate
from services.models import Service

router = Router(tags=["services"])


class ServiceOut(Schema):
    id: int
    name: str
    team: str | None = Field(None, alias="team.display_name")
    description: str
    slo_target: Decimal
    window_days: int


@router.get("/services", response=page_of(ServiceOut), summary="List services")
def list_services(request: HttpRequest, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT):
    """By name."""
    return paginate(
        request,
        Service.objects.select_related("team").order_by("name", "id"),
        cursor=cursor,
        limit=limit,
    )


@router.get("/services/{pk}", response=ServiceOut, summary="Get a service")
def get_service(request: HttpRequest, pk: Id):
    return get_object_or_404(Service.objects.select_related("team"), pk=pk)
