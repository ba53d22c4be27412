import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from actions.models import TrackerConnection
from actions.trackers import services
from postmortems import access

logger = logging.getLogger(__name__)


def _connection(request: HttpRequest) -> TrackerConnection | None:
    value = request.POST.get("connection", "")
    if not value.isdigit():
        return None
    return TrackerConnection.objects.filter(pk=int(value), enabled=True).first()


@require_POST
def issue_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Create an issue in the chosen tracker from the item, and link the two."""
    item = access.get_item_for_change(request, pk)
    link_back = request.build_absolute_uri(item.get_absolute_url())
    return _linked(request, item, services.tracker_issue_create, link_back=link_back)


@require_POST
def issue_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link an existing issue (number or address) to the item."""
    item = access.get_item_for_change(request, pk)
    reference = request.POST.get("reference", "")
    return _linked(request, item, services.tracker_issue_link, reference=reference)


def _linked(request, item, service, **arguments: str) -> HttpResponse:
    connection = _connection(request)
    if connection is None:
        messages.error(request, "Choose a tracker.")
        return redirect(item)
    try:
        link = service(item=item, connection=connection, **arguments)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except (services.TrackerError, services.BadDelivery) as error:
        messages.error(request, f"{connection.name} did not accept it: {error}")
    else:
        messages.success(request, f"Linked to {link}.")
    return redirect(item)


# No login, no session, no CSRF token: the tracker proves itself with the connection's secret.
@csrf_exempt
@login_not_required
@require_POST
def webhook(request: HttpRequest, pk: int) -> JsonResponse:
    connection = get_object_or_404(TrackerConnection, pk=pk, enabled=True)
    tracker = services.client(connection)
    if not tracker.verify(connection, request.headers, request.body, request.GET):
        logger.warning("Tracker %s: a delivery without a valid signature", pk)
        return JsonResponse({"error": "Missing or wrong secret or signature."}, status=401)
    try:
        outcome = services.tracker_webhook_receive(
            connection=connection, headers=request.headers, body=request.body
        )
    except services.BadDelivery as error:
        logger.warning("Tracker %s: unreadable delivery: %s", pk, error)
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"outcome": outcome})
