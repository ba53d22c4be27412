"""Sending the planned digests, each exactly once, and recording every sweep.

A sweep claims all its digests at once, then sends them over one SMTP connection. Each
status is written right after its send, so a killed worker leaves at most one sent digest
unrecorded; that is one UPDATE by primary key per recipient, none per item. While it runs, a
sweep writes a heartbeat; a later sweep takes over the claims of one whose heartbeat went quiet.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from actions.models import ActionItem, Reminder, ReminderItem, ReminderSweep
from actions.reminders import planning
from actions.reminders.digest import Digest
from config import delivery
from config.events import announce

logger = logging.getLogger(__name__)

SWEEPS_KEPT = timedelta(days=30)


def _claim(digests: list[Digest], *, token: str, clock: datetime) -> list[Digest]:
    """Take the rows for these digests; return the digests this sweep now owns.

    New rows are inserted under the (recipient, day) constraint, so of two sweeps inserting
    the same row one gets nothing. Failed rows, and pending rows still held by the dead sweep
    seen when planning, are taken with a conditional UPDATE that re-checks their state, so
    again only one sweep matches, and a live sweep's claim is never taken.
    """
    Reminder.objects.bulk_create(
        [
            Reminder(recipient_id=d.recipient_id, day=d.day, claim=token, claimed_at=clock)
            for d in digests
            if d.reminder_id is None
        ],
        ignore_conflicts=True,
    )
    retry = {d.reminder_id for d in digests if d.reminder_id is not None}
    if retry:
        dead = {d.reminder_claim for d in digests if d.reminder_id is not None}
        Reminder.objects.filter(pk__in=retry).filter(
            Q(status=Reminder.Status.FAILED, attempts__lt=settings.REMINDER_MAX_ATTEMPTS)
            | Q(status=Reminder.Status.PENDING, claim__in=dead)
        ).update(
            claim=token,
            claimed_at=clock,
            status=Reminder.Status.PENDING,
            attempts=F("attempts") + 1,
        )
    owned = dict(Reminder.objects.filter(claim=token).values_list("recipient_id", "id").order_by())
    mine = []
    for digest in digests:
        if digest.recipient_id in owned:
            digest.reminder_id = owned[digest.recipient_id]
            mine.append(digest)
    _record_contents(mine, retried=retry)
    return mine


@transaction.atomic
def _record_contents(digests: list[Digest], *, retried: set[int]) -> None:
    """What each claimed digest lists, for the item pages; a retry lists today's contents."""
    if retried:
        ids = [d.reminder_id for d in digests if d.reminder_id in retried]
        ReminderItem.objects.filter(reminder_id__in=ids).delete()
        Reminder.postmortems.through.objects.filter(reminder_id__in=ids).delete()
    # Fifty digests at a time: a sweep lists tens of thousands of lines, too many model
    # instances to hold at once. (On PostgreSQL, each batch is one INSERT.)
    for start in range(0, len(digests), 50):
        ReminderItem.objects.bulk_create(
            ReminderItem(reminder_id=d.reminder_id, item_id=line.id, section=section)
            for d in digests[start : start + 50]
            for line, section in d.lines()
        )
    Reminder.postmortems.through.objects.bulk_create(
        Reminder.postmortems.through(reminder_id=d.reminder_id, postmortem_id=draft.id)
        for d in digests
        for draft in d.drafts
    )


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _record(digest: Digest, error: str | None, *, token: str) -> bool:
    """Write one send's outcome before the next send starts: one UPDATE by primary key.

    False when the row is no longer this sweep's: another took it over, presuming this one dead.
    """
    mine = Reminder.objects.filter(pk=digest.reminder_id, claim=token)
    if error is None:
        return bool(mine.update(status=Reminder.Status.SENT, sent_at=timezone.now(), last_error=""))
    logger.warning("Reminder to %s failed: %s", digest.email, error)
    return bool(mine.update(status=Reminder.Status.FAILED, last_error=error))


def _send_emails(digests: list[Digest], *, token: str) -> tuple[list[Digest], int]:
    """Send each digest over one connection and record each outcome.

    One person's failure (a refused address) does not stop the others; after a few failed
    connections in a row the rest are marked failed without trying, for the next run.
    """
    started = time.monotonic()
    budget = settings.REMINDER_SEND_BUDGET.total_seconds()
    mail = get_connection()
    sent: list[Digest] = []
    failed = connect_failures = 0
    try:
        for digest in digests:
            error = None
            if connect_failures >= settings.REMINDER_SMTP_CONNECT_FAILURES:
                error = "Not attempted: the mail server could not be reached."
            elif time.monotonic() - started > budget:
                error = "Not attempted: the sweep ran out of time; the next run sends it."
            else:
                try:
                    mail.open()  # no-op while open; reconnects after an error
                    connect_failures = 0
                except Exception as exc:
                    connect_failures += 1
                    error = _error_text(exc)
            if error is None:
                try:
                    mail.send_messages([digest.message()])
                except Exception as exc:
                    error = _error_text(exc)
                    mail.close()  # the session may be unusable; the next opens anew
            if not _record(digest, error, token=token):
                # Its claims were taken over: the rest go out from the sweep that took them.
                logger.warning("Reminder sweep %s lost its claims; stopping.", token)
                break
            if error is None:
                sent.append(digest)
            else:
                failed += 1
    finally:
        mail.close()
    return sent, failed


def _post_webhook(digest: Digest) -> str | None:
    """POST the digest to its chat webhook; the error, or None when it answered 2xx."""
    try:
        delivery.post_chat(
            digest.webhook_url,
            digest.chat_message(),
            layout=digest.chat_layout,
            timeout=settings.REMINDER_WEBHOOK_TIMEOUT,
            agent="Debrief reminders",
        )
    except delivery.Refused as exc:
        return f"Refused: {exc}"
    except Exception as exc:
        return _error_text(exc)
    return None


def _send_webhooks(digests: list[Digest], *, token: str) -> None:
    """Post the sent digests to their chat webhooks, a few at a time; failures are recorded."""
    hooked = [d for d in digests if d.webhook_url]
    if not hooked:
        return
    with ThreadPoolExecutor(max_workers=8) as pool:
        errors = list(pool.map(_post_webhook, hooked))
    for digest, error in zip(hooked, errors, strict=True):
        if error:
            logger.warning("Reminder webhook of %s failed: %s", digest.email, error)
        Reminder.objects.filter(pk=digest.reminder_id, claim=token).update(
            webhook_status=Reminder.Status.FAILED if error else Reminder.Status.SENT,
            webhook_error=error or "",
        )


@contextmanager
def _heartbeat(sweep: ReminderSweep) -> Iterator[None]:
    """Write the sweep's heartbeat every REMINDER_HEARTBEAT while the block runs.

    From a thread of its own, so that a slow plan or a slow mail server never makes a live
    sweep look dead; a killed worker's heartbeat stops with it.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.REMINDER_HEARTBEAT.total_seconds()):
                try:
                    sweep.beat()
                except DatabaseError as exc:
                    logger.warning("Reminder sweep heartbeat failed: %s", exc)
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=beat, name=f"reminder-heartbeat-{sweep.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def overdue_announce(*, today: date, batch: int = 500) -> int:
    """Announce `action_item.overdue` for each open item that passed its due date since it
    was last announced; how many were. An item whose due date moves is announced again when
    it passes the new one. In batches, so that a backlog never sits in memory at once."""
    announced = after = 0
    while True:
        with transaction.atomic():
            # Locked and skipped when locked: of two sweeps at once, each item goes in one.
            # Each batch goes on from the last one's id rather than scanning the items again.
            items = list(
                ActionItem.objects.overdue(today)
                .filter(~Q(overdue_announced_for=F("due_date")) | Q(overdue_announced_for=None))
                .filter(pk__gt=after)
                .select_related("postmortem__owner", "owner")  # what the payloads show
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:batch]
            )
            ActionItem.objects.filter(pk__in=[item.pk for item in items]).update(
                overdue_announced_for=F("due_date")
            )
            announce("action_item.overdue", *items, today=today)
        announced += len(items)
        if len(items) < batch:
            return announced
        after = items[-1].pk


def reminders_send(*, now: datetime | None = None) -> ReminderSweep:
    """Claim and send every digest due at `now` (default: the present); record the sweep."""
    now = now or timezone.now()
    clock = timezone.now()
    token = uuid.uuid4().hex
    sweep = ReminderSweep.objects.create(
        started_at=clock, as_of=now, claim=token, heartbeat_at=clock
    )
    with _heartbeat(sweep):
        try:
            overdue_announce(today=timezone.localdate(now))
        except Exception:  # the digests go out whatever happens to the announcements
            logger.exception("Reminder sweep %s could not announce overdue items.", token)
        digests = planning.reminders_plan(now=now)
        mine = _claim(digests, token=token, clock=timezone.now()) if digests else []
        sent, failed = _send_emails(mine, token=token)
        _send_webhooks(sent, token=token)
    sweep.due, sweep.claimed, sweep.sent, sweep.failed = len(digests), len(mine), len(sent), failed
    # Rows that other running sweeps hold, or killed ones whose heartbeat is not stale yet.
    others = ReminderSweep.live(timezone.now()).exclude(pk=sweep.pk).values("claim")
    sweep.held = Reminder.objects.filter(
        status=Reminder.Status.PENDING, day__gte=now.date() - timedelta(days=1), claim__in=others
    ).count()
    sweep.finished_at = timezone.now()
    sweep.save(update_fields=["due", "claimed", "sent", "failed", "held", "finished_at"])
    ReminderSweep.objects.filter(started_at__lt=sweep.started_at - SWEEPS_KEPT).delete()
    return sweep


def reminder_sweeps_late(*, now: datetime | None = None) -> tuple[datetime | None, bool]:
    """When the last sweep finished, and whether that is too long ago.

    With no sweep ever, it is late only once open items have waited longer than the limit,
    so a fresh install or a site without action items is not reported degraded.
    """
    now = now or timezone.now()
    limit = now - settings.REMINDER_SWEEP_MAX_AGE
    last = ReminderSweep.last_finished_at()
    if last is not None:
        return last, last < limit
    return None, ActionItem.objects.open().filter(created_at__lt=limit).exists()
