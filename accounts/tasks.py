from celery import shared_task

from accounts.services import audit_events_purge


@shared_task
def purge_audit_events() -> int:
    """Deletes audit events older than AUDIT_RETENTION_DAYS."""
    return audit_events_purge()
