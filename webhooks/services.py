"""Outbound webhooks: recording each event for its subscribers, signing and sending it, and
trying again with growing delays for up to a day."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config import chat, delivery
from webhooks.chat import event_message
from webhooks.models import Attempt, Delivery, Subscription
from webhooks.payloads import event_data, redacted

logger = logging.getLogger(__name__)

# A claimed delivery is not claimed again for this long: a worker killed mid-send leaves it
# to the retry sweep once the lease ends.
LEASE = timedelta(minutes=2)


def deliveries_create(*, event: str, objects, details: dict, **_) -> list[Delivery]:
    """One delivery per object for each active subscription to `event`; each is sent once the
    announcing transaction commits. Connected to `config.events.announced`."""
    subscriptions = [s for s in Subscription.objects.filter(active=True) if event in s.events]
    if not subscriptions:
        return []
    now = timezone.now()
    deliveries = []
    for obj in objects:
        data = event_data(event, obj, details)
        for subscription in subscriptions:
            pk = uuid.uuid4()
            payload = {"id": str(pk), "event": event, "created_at": now.isoformat(), "data": data}
            deliveries.append(
                Delivery(
                    id=pk,
                    subscription=subscription,
                    event=event,
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(deliveries)
    _enqueue([d.pk for d in deliveries])
    return deliveries


def _enqueue(ids: list, *, redelivery: bool = False) -> None:
    from webhooks.tasks import deliver_webhook

    def send() -> None:
        for pk in ids:
            deliver_webhook.delay(str(pk), redelivery)

    transaction.on_commit(send)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Debrief-Signature header: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _claim(delivery_id: str, *, now: datetime, redelivery: bool) -> Delivery | None:
    """The delivery, claimed for one send, or None when it is not due or another has it."""
    due = Delivery.objects.filter(pk=delivery_id)
    if not redelivery:  # a paused subscription's deliveries wait until it is active again
        due = due.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now, subscription__active=True
        )
    if not due.update(next_attempt_at=now + LEASE):
        return None
    return Delivery.objects.select_related("subscription").get(pk=delivery_id)


def delivery_send(*, delivery_id: str, redelivery: bool = False) -> Attempt | None:
    """POST a due delivery once, signed, and record the attempt; schedule the next one after a
    failure (WEBHOOK_RETRY_DELAYS), or mark it failed when none is left.

    A redelivery (a person's Redeliver) is sent whatever the delivery's status; when it fails,
    a delivery still being retried keeps its schedule, and any other is failed.
    """
    now = timezone.now()
    found = _claim(delivery_id, now=now, redelivery=redelivery)
    if found is None:
        return None
    subscription = found.subscription
    data = redacted(found.payload["data"])
    headers = {"Content-Type": "application/json", "User-Agent": "Debrief-Webhooks/1"}
    if subscription.format == Subscription.Format.JSON:
        body = json.dumps(found.payload | {"data": data}, separators=(",", ":")).encode()
        headers["Debrief-Event"], headers["Debrief-Delivery"] = found.event, str(found.pk)
        headers["Debrief-Signature"] = signature(subscription.secret, int(now.timestamp()), body)
    else:  # a chat webhook: the event as a message in the tool's layout, which it can't verify
        message = event_message(found.event, data)
        body = json.dumps(chat.render(message, subscription.format)).encode()
    code = latency = None
    error = ""
    try:
        response = delivery.post(
            subscription.url, body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT
        )
    except delivery.DeliveryError as exc:
        error = str(exc)[:500]
    else:
        code, latency = response.status, response.latency_ms
        if not response.ok:
            error = f"HTTP {response.status} {response.reason}"[:500]
    return _record(found, now=now, code=code, latency=latency, error=error, redelivery=redelivery)


@transaction.atomic
def _record(
    found: Delivery, *, now: datetime, code, latency, error: str, redelivery: bool
) -> Attempt:
    found = Delivery.objects.select_for_update().get(pk=found.pk)
    found.attempts += 1
    attempt = Attempt.objects.create(
        delivery=found,
        number=found.attempts,
        at=now,
        response_code=code,
        latency_ms=latency,
        error=error,
        succeeded=not error,
        redelivery=redelivery,
    )
    found.response_code, found.latency_ms, found.error = code, latency, error
    automatic = found.tries.filter(redelivery=False).count()
    delays = settings.WEBHOOK_RETRY_DELAYS
    if not error:
        found.status, found.next_attempt_at = Delivery.Status.SUCCEEDED, None
    elif redelivery and found.status != Delivery.Status.PENDING:
        found.status, found.next_attempt_at = Delivery.Status.FAILED, None
    elif redelivery:
        # Still being retried: the next automatic attempt keeps its place in the schedule.
        found.next_attempt_at = _after(found, delays)
    elif automatic <= len(delays):
        found.next_attempt_at = now + delays[automatic - 1]
    else:
        found.status, found.next_attempt_at = Delivery.Status.FAILED, None
    if error:
        logger.warning("Webhook %s to %s failed: %s", found.pk, found.subscription.url, error)
    found.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "response_code",
            "latency_ms",
            "error",
        ]
    )
    return attempt


def _after(found: Delivery, delays: list[timedelta]) -> datetime:
    """When the next automatic attempt of a pending delivery is due."""
    automatic = list(found.tries.filter(redelivery=False).values_list("at", flat=True))
    if not automatic:
        return timezone.now()
    return automatic[-1] + delays[min(len(automatic), len(delays)) - 1]


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[str]:
    """The pending deliveries whose next attempt is due, oldest first."""
    due = Delivery.objects.filter(
        status=Delivery.Status.PENDING,
        next_attempt_at__lte=now or timezone.now(),
        subscription__active=True,
    ).order_by("next_attempt_at")
    return [str(pk) for pk in due.values_list("pk", flat=True)[:limit]]


def deliveries_retry(*, now: datetime | None = None) -> int:
    """Send every delivery whose next attempt is due through the worker; how many."""
    ids = deliveries_due(now=now)
    _enqueue(ids)
    return len(ids)


def delivery_redeliver(*, delivery: Delivery) -> None:
    """Send the delivery again now, as a new attempt, whatever became of it."""
    _enqueue([delivery.pk], redelivery=True)
