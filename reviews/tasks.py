from smtplib import SMTPException

from celery import shared_task

from reviews import services

RETRY = {"autoretry_for": (SMTPException, OSError), "retry_backoff": True, "max_retries": 6}


@shared_task(**RETRY)
def notify_mentions(comment_id: int) -> int:
    """Email the people @mentioned in a comment."""
    return services.comment_notify_mentions(comment_id=comment_id)


@shared_task(**RETRY)
def send_meeting_summary(meeting_id: int) -> int:
    """Email a review meeting's decisions and new action items to its attendees."""
    return services.meeting_send_summary(meeting_id=meeting_id)


@shared_task(**RETRY)
def send_meeting_invitation(meeting_id: int, removed_ids: list[int] | None = None) -> int:
    """Email a review meeting's calendar invitation (or its update) to everyone invited."""
    return services.meeting_send_invitation(meeting_id=meeting_id, removed_ids=removed_ids or [])
