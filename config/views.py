from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from redis import Redis
from redis.exceptions import RedisError

from actions.reminders import reminder_sweeps_late


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        client = Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        return bool(client.ping())
    except (RedisError, OSError, ValueError):
        return False


def _reminders() -> tuple[datetime | None, bool]:
    try:
        return reminder_sweeps_late()
    except DatabaseError:  # not migrated yet, say
        return None, True


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (503 when not); "degraded" when anything else is down
    or the hourly reminder sweep has not finished for REMINDER_SWEEP_MAX_AGE."""
    database, broker = _database_ok(), _broker_ok()
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


def home(request: HttpRequest):
    return redirect("postmortems:list")
