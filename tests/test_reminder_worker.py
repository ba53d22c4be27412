"""The wiring, once: beat's task, sent with .delay() to a real worker over a real Redis."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from actions.models import Reminder, ReminderSweep
from actions.tasks import send_overdue_reminders
from config.celery import app
from tests.factories import (
    ActionItemFactory,
    ReminderFactory,
    ReminderPreferenceFactory,
    UserFactory,
)


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


@pytest.mark.django_db(transaction=True)
def test_a_killed_sweeps_digests_go_out_from_a_follow_up_run_once_it_counts_as_dead(
    celery_app, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REMINDER_HEARTBEAT = timedelta(seconds=0.5)
    settings.REMINDER_HEARTBEAT_TIMEOUT = timedelta(seconds=3)
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    for owner in (ana, ben):
        ReminderPreferenceFactory(user=owner, hour=0)
        ActionItemFactory(
            postmortem=None, owner=owner, due_date=timezone.localdate() - timedelta(days=3)
        )

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # A sweep claimed ben's digest and was killed a moment ago: its heartbeat is fresh.
        now = timezone.now()
        ReminderSweep.objects.create(started_at=now, as_of=now, claim="killed", heartbeat_at=now)
        ReminderFactory(recipient=ben, day=timezone.localdate(), claim="killed", claimed_at=now)
        assert send_overdue_reminders.delay().get(timeout=30) == {"due": 1, "sent": 1, "failed": 0}
        deadline = time.monotonic() + 30
        while len(mail.outbox) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)

    assert [m.to[0] for m in mail.outbox] == ["ana@example.com", "ben@example.com"]
    assert Reminder.objects.get(recipient=ben).status == "sent"


def test_the_beat_schedule_runs_the_task_on_every_hour():
    entry = app.conf.beat_schedule["send-overdue-reminders"]
    assert entry["task"] == send_overdue_reminders.name == "actions.tasks.send_overdue_reminders"
    schedule = entry["schedule"]
    assert schedule.minute == {0} and schedule.hour == set(range(24))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert send_overdue_reminders.max_retries == 4 and send_overdue_reminders.retry_backoff
