"""/healthz: whether the database and the broker answer, and whether reminders go out."""

from datetime import datetime

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse

from actions.reminders import reminder_sweeps_late
from config.health import broker_ok, database_ok


def _reminders() -> tuple[datetime | None, bool]:
    try:
        return reminder_sweeps_late()
    except DatabaseError:  # not migrated yet, say
        return None, True


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (503 when not); "degraded" when anything else is down
    or the hourly reminder sweep has not finished for REMINDER_SWEEP_MAX_AGE."""
    database, broker = database_ok(), broker_ok()
    last_sweep, late = _reminders() if database else (None, False)
    status = "ok" if database and broker and not late else "degraded"
    body = {
        "status": status,
        "database": "ok" if database else "down",
        "broker": "ok" if broker else "down",
        "reminders": "late" if late else "ok",
        "last_sweep": last_sweep.isoformat() if last_sweep else None,
    }
    return JsonResponse(body, status=200 if database else 503)
