from smtplib import SMTPException

from celery import shared_task

from reviews import notifications, services

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


@shared_task(**RETRY)
def notify_reviewers_picked(postmortem_id: int, user_ids: list[int]) -> int:
    """Tell newly picked reviewers what they were asked to review."""
    return notifications.notify_reviewers_picked(postmortem_id=postmortem_id, user_ids=user_ids)


@shared_task(**RETRY)
def notify_review_ready(postmortem_id: int) -> int:
    """Tell the reviewers that a postmortem waits for their verdict."""
    return notifications.notify_review_ready(postmortem_id=postmortem_id)


@shared_task(**RETRY)
def notify_verdict(reviewer_id: int) -> int:
    """Tell a postmortem's owner a reviewer's verdict."""
    return notifications.notify_verdict(reviewer_id=reviewer_id)


@shared_task(**RETRY)
def notify_changed_after_publication(postmortem_id: int, version: int) -> int:
    """Tell the reviewers that a published postmortem's text changed."""
    return notifications.notify_changed_after_publication(
        postmortem_id=postmortem_id, version=version
    )
