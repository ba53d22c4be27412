from celery import shared_task

from webhooks import services


# The retries are not Celery's: each failed attempt stores when the next one is due, and
# `retry_webhooks` (every minute, from beat) sends those. A countdown of hours in Redis would
# outlive the broker's visibility timeout and be delivered twice.
@shared_task
def deliver_webhook(delivery_id: str, redelivery: bool = False) -> bool:
    """POST one webhook delivery (a due attempt, or a person's Redeliver)."""
    attempt = services.delivery_send(delivery_id=delivery_id, redelivery=redelivery)
    return bool(attempt and attempt.succeeded)


@shared_task
def retry_webhooks() -> int:
    """Send the webhook deliveries whose next attempt is due (Celery beat runs it each minute)."""
    return services.deliveries_retry()
