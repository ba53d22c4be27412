import logging
from dataclasses import asdict

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from postmortems.alerts import signatures
from postmortems.alerts.base import PayloadError
from postmortems.alerts.services import SourceNotReady, alerts_receive
from postmortems.models import AlertSource

logger = logging.getLogger(__name__)


# No login, no session, no CSRF token: the sender proves itself with the source's secret.
@csrf_exempt
@login_not_required
@require_POST
def receive_alert(request: HttpRequest, slug: str) -> JsonResponse:
    source = get_object_or_404(AlertSource, slug=slug, enabled=True)
    if not signatures.verify(source, request.headers, request.body):
        logger.warning("Alert source %s: a delivery without a valid secret or signature", slug)
        return JsonResponse({"error": "Missing or wrong secret or signature."}, status=401)
    try:
        intake = alerts_receive(source=source, body=request.body)
    except PayloadError as error:
        logger.warning("Alert source %s: unreadable delivery: %s", slug, error)
        return JsonResponse({"error": str(error)}, status=400)
    except SourceNotReady as error:
        logger.error("Alert source %s: %s", slug, error)
        return JsonResponse({"error": str(error)}, status=503)
    return JsonResponse(asdict(intake))
