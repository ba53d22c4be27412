"""Daily reminder digests: who is due, what each digest lists, and sending each exactly once.

A sweep (hourly, from Celery beat, or `manage.py send_reminders`) works in a fixed number of
queries whatever the number of items: it reads the candidates, their reminders of the last
days, the open items due soon and the late drafts in four queries, builds every digest in
memory, claims them all at once, then sends them over one SMTP connection. Each status is
written right after its send, so a killed worker leaves at most one sent digest unrecorded;
that is one UPDATE by primary key per recipient, none per item. While it runs, a sweep
writes a heartbeat; a later sweep takes over the claims of one whose heartbeat went quiet.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from actions import webhooks
from actions.models import ActionItem, Reminder, ReminderItem, ReminderSweep
from config import emails
from postmortems import access
from postmortems.models import Postmortem, Severity
from postmortems.models import Status as PostmortemStatus

logger = logging.getLogger(__name__)

Section = ReminderItem.Section
SWEEPS_KEPT = timedelta(days=30)


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# What a digest holds


def _url_maker(name: str) -> Callable[[int], str]:
    """reverse() for a URL that takes one id, resolved once: a sweep makes thousands of links."""
    marker = "2147483647"
    before, after = reverse(name, args=[int(marker)]).split(marker)
    prefix = settings.SITE_URL + before
    return lambda pk: f"{prefix}{pk}{after}"


@dataclass(frozen=True)
class Line:
    id: int
    url: str
    title: str
    due_date: date
    priority: str
    owner_name: str
    postmortem: str  # "PM-12 Checkout outage", or empty


@dataclass(frozen=True)
class LateDraft:
    """A draft postmortem past its review deadline, as its owner's digest lists it."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    severity: int
    deadline: datetime

    @property
    def reference(self) -> str:
        return f"PM-{self.id}"


@dataclass(frozen=True)
class WaitingReview:
    """A postmortem in review waiting for this reviewer's verdict for days."""

    id: int
    url: str
    title: str  # empty for a restricted one (access.outbound)
    submitted_at: datetime

    @property
    def reference(self) -> str:
        return f"PM-{self.id}"


class Row(NamedTuple):
    title: str
    url: str
    tag: str
    note: str


class Block(NamedTuple):
    heading: str
    tone: str
    rows: list[Row]


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


@dataclass
class Digest:
    """One person's reminder for one local day."""

    recipient_id: int
    email: str
    name: str
    time_zone: str
    day: date
    webhook_url: str = ""
    preferences_url: str = ""
    overdue: list[Line] = field(default_factory=list)
    due_soon: list[Line] = field(default_factory=list)
    escalated: list[Line] = field(default_factory=list)
    drafts: list[LateDraft] = field(default_factory=list)
    reviews: list[WaitingReview] = field(default_factory=list)
    reminder_id: int | None = None  # an earlier row for this day that failed or went stale
    reminder_claim: str = ""  # that row's claim when planned: only then may it be taken over

    def __bool__(self) -> bool:
        return bool(self.overdue or self.due_soon or self.escalated or self.drafts or self.reviews)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return _zone(self.time_zone)

    def lines(self) -> Iterable[tuple[Line, str]]:
        for section, lines in (
            (Section.OVERDUE, self.overdue),
            (Section.DUE_SOON, self.due_soon),
            (Section.ESCALATED, self.escalated),
        ):
            for line in lines:
                yield line, section

    def summary(self) -> str:
        parts = [
            (len(self.overdue), "overdue"),
            (len(self.due_soon), "due soon"),
            (len(self.escalated), "escalated to you"),
            (len(self.drafts), "late draft" if len(self.drafts) == 1 else "late drafts"),
            (len(self.reviews), "waiting for your review"),
        ]
        return ", ".join(f"{count} {label}" for count, label in parts if count)

    def blocks(self) -> list[Block]:
        """The digest's sections as plain strings, for the email templates and the webhook."""

        def late(line: Line) -> str:
            return f"due {line.due_date:%Y-%m-%d}, {_days((self.day - line.due_date).days)} overdue"

        def source(line: Line) -> str:
            return f" · {line.postmortem}" if line.postmortem else ""

        zone = self.zone
        soon = f"Due in the next {settings.REMINDER_DUE_SOON_DAYS} days"
        escalated = (
            f"Overdue for more than {settings.REMINDER_ESCALATE_AFTER_DAYS} days "
            "on postmortems you own"
        )
        blocks = [
            Block(
                "Overdue",
                "danger",
                [Row(i.title, i.url, i.priority, late(i) + source(i)) for i in self.overdue],
            ),
            Block(
                soon,
                "",
                [
                    Row(i.title, i.url, i.priority, f"due {i.due_date:%Y-%m-%d}{source(i)}")
                    for i in self.due_soon
                ],
            ),
            Block(
                escalated,
                "danger",
                [
                    Row(i.title, i.url, i.priority, f"owner {i.owner_name}, {late(i)}{source(i)}")
                    for i in self.escalated
                ],
            ),
            Block(
                "Drafts past their review deadline",
                "",
                [
                    Row(
                        f"PM-{d.id} {d.title}".strip(),
                        d.url,
                        Severity(d.severity).label,
                        f"review was due {d.deadline.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                    )
                    for d in self.drafts
                ],
            ),
            Block(
                f"Waiting for your review for more than {_days(settings.REVIEW_WAITING_DIGEST_DAYS)}",
                "",
                [
                    Row(
                        f"{r.reference} {r.title}".strip(),
                        r.url,
                        "review",
                        f"in review since {r.submitted_at.astimezone(zone):%Y-%m-%d}",
                    )
                    for r in self.reviews
                ],
            ),
        ]
        return [block for block in blocks if block.rows]

    def message(self) -> EmailMultiAlternatives:
        return emails.build("reminder", [self.email], {"digest": self, "blocks": self.blocks()})

    def chat_text(self) -> str:
        """The digest as Slack mrkdwn, for an incoming webhook."""

        def esc(text: str) -> str:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        day = f"{self.day:%A} {self.day.day} {self.day:%B %Y}"
        out = [f"*Debrief reminder for {day}*: {self.summary()}"]
        for block in self.blocks():
            out.append(f"\n*{block.heading} ({len(block.rows)})*")
            out.extend(
                f"• <{row.url}|{esc(row.title)}> [{row.tag}] {esc(row.note)}" for row in block.rows
            )
        out.append(f"\n<{self.preferences_url}|Reminder settings>")
        return "\n".join(out)


# Planning: who is due now, and with what


@lru_cache(maxsize=4096)
def _outbound(pk: int | None, title: str, restricted: bool, *, reader: bool) -> access.Outbound:
    """access.outbound() for a postmortem read as values; once per postmortem, not per line."""
    postmortem = Postmortem(pk=pk, title=title, restricted=restricted) if pk else None
    return access.outbound(postmortem, reader=reader)


def _local_day(now: datetime, time_zone: str) -> tuple[date, int]:
    local = now.astimezone(_zone(time_zone))
    return local.date(), local.hour


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _open_items(until: date):
    return ActionItem.objects.open().filter(due_date__lte=until, owner__isnull=False)


def _late_drafts():
    severities = [*settings.REVIEW_DEADLINE_DAYS, *settings.REVIEW_DEADLINE_BUSINESS_DAYS]
    return Postmortem.objects.filter(
        status=PostmortemStatus.DRAFT, severity__in=severities, resolved_at__isnull=False
    )


def _waiting_reviews(now: datetime):
    """Reviews owed for more than REVIEW_WAITING_DIGEST_DAYS. Reviews sit above this app, so
    their model is looked up by name, as postmortems.access does."""
    reviewers = apps.get_model("reviews", "Reviewer").objects.waiting()
    waited = now - timedelta(days=settings.REVIEW_WAITING_DIGEST_DAYS)
    return reviewers.filter(submitted_at__lte=waited)


def _candidates(now: datetime) -> list[dict]:
    """Active people with an email and no opt-out who own something a digest could list."""
    latest_day = (now + timedelta(hours=14)).date()  # the furthest local date on Earth
    items = _open_items(latest_day + timedelta(days=settings.REMINDER_DUE_SOON_DAYS))
    escalated = items.filter(
        due_date__lt=latest_day - timedelta(days=settings.REMINDER_ESCALATE_AFTER_DAYS),
        postmortem__isnull=False,
    )
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(reminder_preference__isnull=True) | Q(reminder_preference__opted_out=False))
        .filter(
            Q(pk__in=items.values("owner_id"))
            | Q(pk__in=escalated.values("postmortem__owner_id"))
            | Q(pk__in=_late_drafts().values("owner_id"))
            | Q(pk__in=_waiting_reviews(now).values("user_id"))
        )
        .values(
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "reminder_preference__hour",
            "reminder_preference__time_zone",
            "reminder_preference__webhook_url",
        )
        .order_by("id")
    )


def _blocking(status: str, attempts: int, held: bool) -> bool:
    """Whether an existing row for today means: nothing to do for this person now."""
    if status == Reminder.Status.SENT:
        return True
    if status == Reminder.Status.FAILED:
        return attempts >= settings.REMINDER_MAX_ATTEMPTS
    return held  # a live sweep is sending it


def reminders_plan(*, now: datetime | None = None) -> list[Digest]:
    """The digests due at `now`: for each person whose local hour has come and who has not
    had today's digest, their overdue and due-soon items, the items escalated to them, their
    drafts past the review deadline and the reviews long waiting for them. Empty digests are
    left out. Reads only."""
    now = now or timezone.now()
    clock = timezone.now()  # heartbeats age by the real clock, even when `now` replays a moment
    due: dict[int, Digest] = {}
    preferences_url = settings.SITE_URL + reverse("actions:preferences")
    for person in _candidates(now):
        time_zone = person["reminder_preference__time_zone"] or settings.TIME_ZONE
        day, hour = _local_day(now, time_zone)
        wanted = person["reminder_preference__hour"]
        if hour < (settings.REMINDER_DEFAULT_HOUR if wanted is None else wanted):
            continue
        due[person["id"]] = Digest(
            recipient_id=person["id"],
            email=person["email"],
            name=_name(person["first_name"], person["last_name"], person["username"]),
            time_zone=time_zone,
            day=day,
            webhook_url=person["reminder_preference__webhook_url"] or "",
            preferences_url=preferences_url,
        )
    if not due:
        return []

    days = {digest.day for digest in due.values()}
    # One statement, so a row's claim and its sweep's heartbeat are read at the same moment.
    held = Exists(ReminderSweep.live(clock).filter(claim=OuterRef("claim")))
    existing = Reminder.objects.filter(day__gte=min(days), day__lte=max(days)).values_list(
        "id", "recipient_id", "day", "status", "attempts", "claim", held
    )
    for pk, recipient_id, day, status, attempts, claim, live in existing:
        digest = due.get(recipient_id)
        if digest is None or digest.day != day:
            continue
        if _blocking(status, attempts, live):
            del due[recipient_id]
        else:
            digest.reminder_id, digest.reminder_claim = pk, claim

    soon, escalate_after = settings.REMINDER_DUE_SOON_DAYS, settings.REMINDER_ESCALATE_AFTER_DAYS
    rows = (
        _open_items(max(days) + timedelta(days=soon))
        .order_by("due_date", "priority", "id")
        .values_list(
            "id",
            "title",
            "due_date",
            "priority",
            "owner_id",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            "postmortem_id",
            "postmortem__title",
            "postmortem__owner_id",
            "postmortem__restricted",
        )
    )
    rows = list(rows)
    readers = access.readers_of({row[8] for row in rows if row[8]})
    item_url = _url_maker("actions:detail")
    for row in rows:
        pk, title, due_date, priority, owner_id, first, last, username, pm, pm_title = row[:10]
        pm_owner, restricted = row[10:]
        own, chief = due.get(owner_id), due.get(pm_owner)
        if own is None and chief is None:
            continue
        # Mail and chat get what access.outbound lets out: a restricted postmortem's
        # reference, and its items' titles for those who may read it.
        out = _outbound(pm, pm_title, restricted, reader=owner_id in readers.get(pm, {owner_id}))
        source = f"{out.reference} {out.title}".strip()
        name = _name(first, last, username)
        line = Line(pk, item_url(pk), out.item_title(pk, title), due_date, priority, name, source)
        if own is not None:
            if due_date < own.day:
                own.overdue.append(line)
            elif (due_date - own.day).days <= soon:
                own.due_soon.append(line)
        late_enough = chief is not None and (chief.day - due_date).days > escalate_after
        if late_enough and pm_owner != owner_id:
            # The postmortem's owner reads it, whoever owns the item.
            chief.escalated.append(replace(line, title=title))

    postmortem_url = _url_maker("postmortems:detail")
    drafts = _late_drafts().order_by("resolved_at", "id")
    for pk, title, severity, resolved_at, time_zone, owner_id, restricted in drafts.values_list(
        "id", "title", "severity", "resolved_at", "time_zone", "owner_id", "restricted"
    ):
        late = Postmortem(severity=severity, resolved_at=resolved_at, time_zone=time_zone)
        deadline = late.review_deadline
        if owner_id in due and deadline is not None and deadline <= now:
            title = _outbound(pk, title, restricted, reader=True).title
            due[owner_id].drafts.append(
                LateDraft(pk, postmortem_url(pk), title, severity, deadline)
            )

    waiting = _waiting_reviews(now).filter(user__in=due).order_by("submitted_at", "id")
    for user_id, pk, title, restricted, submitted_at in waiting.values_list(
        "user_id", "postmortem_id", "postmortem__title", "postmortem__restricted", "submitted_at"
    ):
        title = _outbound(pk, title, restricted, reader=True).title
        due[user_id].reviews.append(WaitingReview(pk, postmortem_url(pk), title, submitted_at))

    return [digest for digest in due.values() if digest]


# Sending


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
    retry = [d.reminder_id for d in digests if d.reminder_id is not None]
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
def _record_contents(digests: list[Digest], *, retried: list[int]) -> None:
    """What each claimed digest lists, for the item pages; a retry lists today's contents."""
    if retried:
        retried_set = set(retried)
        ids = [d.reminder_id for d in digests if d.reminder_id in retried_set]
        ReminderItem.objects.filter(reminder_id__in=ids).delete()
        Reminder.postmortems.through.objects.filter(reminder_id__in=ids).delete()
    # Tens of thousands of rows in one statement, where bulk_create would build a model
    # instance per row and, on SQLite, split them into a query per 333 rows.
    rows = [(d.reminder_id, line.id, section) for d in digests for line, section in d.lines()]
    table = connection.ops.quote_name(ReminderItem._meta.db_table)
    columns = "(reminder_id, item_id, section)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} {columns} "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[])",
                [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], []],
            )
        else:
            cursor.executemany(f"INSERT INTO {table} {columns} VALUES (%s, %s, %s)", rows)
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
    connection = get_connection()
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
                    connection.open()  # no-op while open; reconnects after an error
                    connect_failures = 0
                except Exception as exc:
                    connect_failures += 1
                    error = _error_text(exc)
            if error is None:
                try:
                    connection.send_messages([digest.message()])
                except Exception as exc:
                    error = _error_text(exc)
                    connection.close()  # the session may be unusable; the next opens anew
            if not _record(digest, error, token=token):
                # Its claims were taken over: the rest go out from the sweep that took them.
                logger.warning("Reminder sweep %s lost its claims; stopping.", token)
                break
            if error is None:
                sent.append(digest)
            else:
                failed += 1
    finally:
        connection.close()
    return sent, failed


def _post_webhook(url: str, text: str) -> str | None:
    """POST the digest to a chat webhook; the error, or None when it answered 2xx."""
    try:
        webhooks.post(url, text)
    except webhooks.Refused as exc:
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
        errors = list(pool.map(lambda d: _post_webhook(d.webhook_url, d.chat_text()), hooked))
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


def reminders_send(*, now: datetime | None = None) -> ReminderSweep:
    """Claim and send every digest due at `now` (default: the present); record the sweep."""
    now = now or timezone.now()
    clock = timezone.now()
    token = uuid.uuid4().hex
    sweep = ReminderSweep.objects.create(
        started_at=clock, as_of=now, claim=token, heartbeat_at=clock
    )
    with _heartbeat(sweep):
        digests = reminders_plan(now=now)
        mine = _claim(digests, token=token, clock=timezone.now()) if digests else []
        sent, failed = _send_emails(mine, token=token)
        _send_webhooks(sent, token=token)
    sweep.due, sweep.claimed, sweep.sent, sweep.failed = (
        len(digests), len(mine), len(sent), failed
    )  # fmt: skip
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
