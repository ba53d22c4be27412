from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.utils import OperationalError

from actions.models import ActionItem, ReminderSweep
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def swept(hours_ago: float) -> ReminderSweep:
    finished = NOW - timedelta(hours=hours_ago)
    return ReminderSweep.objects.create(started_at=finished, as_of=finished, finished_at=finished)


def test_it_answers_without_login_when_everything_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "reminders": "ok",
        "last_sweep": None,
    }


def test_it_is_degraded_but_up_when_the_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == "down"


def test_it_answers_503_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


@time_machine.travel(NOW, tick=False)
def test_it_reports_when_the_last_reminder_sweep_finished(client):
    swept(hours_ago=5)
    swept(hours_ago=1.5)
    ReminderSweep.objects.create(started_at=NOW, as_of=NOW)  # running: not finished
    body = client.get("/healthz").json()
    assert (body["status"], body["reminders"]) == ("ok", "ok")
    assert body["last_sweep"] == "2026-03-10T10:30:00+00:00"


@time_machine.travel(NOW, tick=False)
def test_it_is_degraded_when_no_sweep_finished_in_two_hours(client):
    swept(hours_ago=2.1)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["reminders"]) == ("degraded", "late")
    assert body["last_sweep"] == "2026-03-10T09:54:00+00:00"


def test_a_site_that_never_swept_is_late_once_open_items_waited_two_hours(client):
    with time_machine.travel(NOW - timedelta(hours=3), tick=False):
        item = ActionItemFactory()
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        assert client.get("/healthz").json()["status"] == "ok"  # a fresh install
    with time_machine.travel(NOW, tick=False):
        assert client.get("/healthz").json()["reminders"] == "late"
        ActionItem.objects.filter(pk=item.pk).update(status="done", completed_at=NOW)
        assert client.get("/healthz").json()["reminders"] == "ok"  # nothing to remind of
