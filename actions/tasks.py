from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from actions import reminders
from actions.trackers import services as tracker_services
from actions.trackers.base import TrackerError


# Sends that fail are recorded per person and retried by the next hourly run; only a
# database that does not answer makes the whole sweep worth retrying, with backoff.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=4,
)
def send_overdue_reminders() -> dict[str, int]:
    """Email the daily digests that are due this hour (Celery beat runs it hourly)."""
    sweep = reminders.reminders_send()
    if sweep.held:  # by a sweep that may have been killed: run again once it would count as dead
        wait = settings.REMINDER_HEARTBEAT_TIMEOUT + settings.REMINDER_HEARTBEAT
        send_overdue_reminders.apply_async(countdown=wait.total_seconds())
    return {"due": sweep.due, "sent": sweep.sent, "failed": sweep.failed}


@shared_task(autoretry_for=(TrackerError,), retry_backoff=30, max_retries=5)
def push_tracker_item(item_id: int) -> str:
    """Push an item's change to its linked tracker issue (enqueued on commit)."""
    return tracker_services.tracker_push(item_id=item_id)


@shared_task
def reconcile_trackers() -> dict[str, int]:
    """Catch tracker changes whose webhook was missed (Celery beat, every 15 minutes)."""
    return tracker_services.trackers_reconcile()
