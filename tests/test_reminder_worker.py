"""The wiring, once: beat's task, sent with .delay() to a real worker over a real Redis."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from actions.models import Reminder, ReminderSweep
from actions.tasks import send_overdue_reminders
from config.celery import app
from tests.factories import ActionItemFactory, ReminderPreferenceFactory, UserFactory


@pytest.fixture
def celery_app(redis_url):
    previous = app.conf.broker_url, app.conf.result_backend
    app.conf.update(broker_url=redis_url, result_backend=redis_url)
    yield app
    app.conf.update(broker_url=previous[0], result_backend=previous[1])


@pytest.mark.django_db(transaction=True)
def test_the_hourly_task_sends_the_digests_through_a_real_worker(celery_app, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for name in ("ana", "ben"):
        owner = UserFactory(username=name)
        ReminderPreferenceFactory(user=owner, hour=0)  # due at any time of day
        ActionItemFactory(
            postmortem=None,
            owner=owner,
            title=f"{name}'s overdue item",
            due_date=timezone.localdate() - timedelta(days=3),
        )

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = send_overdue_reminders.delay()
        assert result.get(timeout=30) == {"due": 2, "sent": 2, "failed": 0}
        again = send_overdue_reminders.delay()  # a second run the same day sends nothing
        assert again.get(timeout=30) == {"due": 0, "sent": 0, "failed": 0}

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "ben@example.com"]
    assert Reminder.objects.filter(status="sent").count() == 2
    assert ReminderSweep.objects.filter(finished_at__isnull=False).count() == 2


def test_the_beat_schedule_runs_the_task_on_every_hour():
    entry = app.conf.beat_schedule["send-overdue-reminders"]
    assert entry["task"] == send_overdue_reminders.name == "actions.tasks.send_overdue_reminders"
    schedule = entry["schedule"]
    assert schedule.minute == {0} and schedule.hour == set(range(24))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert send_overdue_reminders.max_retries == 4 and send_overdue_reminders.retry_backoff
