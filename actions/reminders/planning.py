"""Who is due for a digest at a moment, and what it lists; reads only.

A plan takes the same few queries whatever the number of items: the people, their rows of
the last days, the open items due soon, the late drafts and the waiting reviews.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from functools import cache

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncTime
from django.urls import reverse
from django.utils import timezone

from actions.models import KINDS_TO_VERIFY, ActionItem, Reminder, ReminderSweep, Status
from actions.reminders.digest import (
    Anniversary,
    Digest,
    LateDraft,
    Line,
    Unverified,
    WaitingReview,
    local_zone,
)
from postmortems import access
from postmortems.models import Postmortem
from postmortems.models import Status as PostmortemStatus
from postmortems.services import anniversaries


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _open_items(until: date) -> QuerySet[ActionItem]:
    return ActionItem.objects.open().filter(due_date__lte=until, owner__isnull=False)


def _late_drafts() -> QuerySet[Postmortem]:
    severities = [*settings.REVIEW_DEADLINE_DAYS, *settings.REVIEW_DEADLINE_BUSINESS_DAYS]
    return Postmortem.objects.filter(
        status=PostmortemStatus.DRAFT, severity__in=severities, resolved_at__isnull=False
    )


def _waiting_reviews(now: datetime) -> QuerySet:
    """Reviews owed for more than REVIEW_WAITING_DIGEST_DAYS. Reviews sit above this app, so
    their model is looked up by name, as postmortems.access does."""
    reviewers = apps.get_model("reviews", "Reviewer").objects.waiting()
    waited = now - timedelta(days=settings.REVIEW_WAITING_DIGEST_DAYS)
    return reviewers.filter(submitted_at__lte=waited)


def _unverified_items(now: datetime) -> QuerySet[ActionItem]:
    """Done prevent and detect items on a postmortem, still without proof that the fix worked
    VERIFY_REMINDER_AFTER_DAYS after they were done."""
    done_before = now - timedelta(days=settings.VERIFY_REMINDER_AFTER_DAYS)
    return ActionItem.objects.filter(
        status=Status.DONE,
        kind__in=KINDS_TO_VERIFY,
        verified_at__isnull=True,
        completed_at__lte=done_before,
        postmortem__isnull=False,
    )


def _candidates(now: datetime) -> QuerySet:
    """Active people with an email and no opt-out who own something a digest could list."""
    latest_day = (now + timedelta(hours=14)).date()  # the furthest local date on Earth
    items = _open_items(latest_day + timedelta(days=settings.REMINDER_DUE_SOON_DAYS))
    escalated = items.filter(
        due_date__lt=latest_day - timedelta(days=settings.REMINDER_ESCALATE_AFTER_DAYS),
        postmortem__isnull=False,
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(reminder_preference__isnull=True) | Q(reminder_preference__opted_out=False))
        .filter(
            Q(pk__in=items.values("owner_id"))
            | Q(pk__in=escalated.values("postmortem__owner_id"))
            | Q(pk__in=_late_drafts().values("owner_id"))
            | Q(pk__in=_waiting_reviews(now).values("user_id"))
            | Q(pk__in=_unverified_items(now).values("postmortem__owner_id"))
            | Q(reminder_preference__anniversaries=True)
        )
        .values_list(
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "reminder_preference__hour",
            "reminder_preference__time_zone",
            "reminder_preference__webhook_url",
            "reminder_preference__chat_layout",
            "reminder_preference__anniversaries",
            named=True,
        )
        .order_by("id")
    )


def _people_due(now: datetime) -> dict[int, Digest]:
    """An empty digest for each candidate whose chosen local hour has come."""
    preferences_url = settings.SITE_URL + reverse("actions:preferences")
    due = {}
    for person in _candidates(now):
        time_zone = person.reminder_preference__time_zone or settings.TIME_ZONE
        local = now.astimezone(local_zone(time_zone))
        hour = person.reminder_preference__hour
        if local.hour < (settings.REMINDER_DEFAULT_HOUR if hour is None else hour):
            continue
        due[person.id] = Digest(
            recipient_id=person.id,
            email=person.email,
            name=_name(person.first_name, person.last_name, person.username),
            time_zone=time_zone,
            day=local.date(),
            webhook_url=person.reminder_preference__webhook_url or "",
            chat_layout=person.reminder_preference__chat_layout or "",
            preferences_url=preferences_url,
            wants_anniversaries=bool(person.reminder_preference__anniversaries),
        )
    return due


def _blocking(status: str, attempts: int, held: bool) -> bool:
    """Whether an existing row for today means: nothing to do for this person now."""
    if status == Reminder.Status.SENT:
        return True
    if status == Reminder.Status.FAILED:
        return attempts >= settings.REMINDER_MAX_ATTEMPTS
    return held  # a live sweep is sending it


def _leave_out_settled(due: dict[int, Digest], *, clock: datetime) -> None:
    """Drop who had today's digest or is being sent it by a live sweep; note the rows of a
    failed send or a dead sweep, to be taken over."""
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


def _source(
    pk: int | None, title: str, restricted: bool, reader: bool
) -> tuple[access.Outbound, str]:
    """What of a postmortem may go out, and how a line names it ("PM-12 Checkout outage").
    Callers keep one per postmortem for the plan, so its lines share one label."""
    if pk is None:
        out = access.outbound(None, reader=reader)
    else:
        out = access.outbound_of(pk, title, restricted, reader=reader)
    return out, f"{out.reference} {out.title}".strip()


def _add_items(due: dict[int, Digest]) -> None:
    """Each person's overdue and due-soon items, and the items long overdue on postmortems
    they own, escalated to them."""
    soon, escalate_after = settings.REMINDER_DUE_SOON_DAYS, settings.REMINDER_ESCALATE_AFTER_DAYS
    last_day = max(digest.day for digest in due.values())
    items = _open_items(last_day + timedelta(days=soon))
    readers = access.readers_of(items.values_list("postmortem_id", flat=True).distinct())
    rows = (
        # Unordered: the database then reads the open items by status, not every item in
        # due-date order; each digest sorts its own few lines afterwards.
        items.order_by()
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
            named=True,
        )
        .iterator()
    )
    source, name = cache(_source), cache(_name)  # one string per postmortem and per person
    for row in rows:
        own, chief = due.get(row.owner_id), due.get(row.postmortem__owner_id)
        if own is None and chief is None:
            continue
        # Mail and chat get what access.outbound lets out: a restricted postmortem's
        # reference, and its items' titles for those who may read it.
        reader = row.owner_id in readers.get(row.postmortem_id, {row.owner_id})
        out, named = source(
            row.postmortem_id, row.postmortem__title, row.postmortem__restricted, reader
        )
        line = Line(
            row.id,
            out.item_title(row.id, row.title),
            row.due_date,
            sys.intern(row.priority),  # a few values across thousands of lines
            name(row.owner__first_name, row.owner__last_name, row.owner__username),
            named,
        )
        if own is not None:
            if row.due_date < own.day:
                own.overdue.append(line)
            elif (row.due_date - own.day).days <= soon:
                own.due_soon.append(line)
        late_enough = chief is not None and (chief.day - row.due_date).days > escalate_after
        if late_enough and row.postmortem__owner_id != row.owner_id:
            # The postmortem's owner reads it, whoever owns the item.
            chief.escalated.append(line._replace(title=row.title))


def _add_late_drafts(due: dict[int, Digest], now: datetime) -> None:
    drafts = (
        _late_drafts()
        .filter(owner__in=list(due))
        .only("title", "severity", "resolved_at", "time_zone", "owner", "restricted")
        .order_by("resolved_at", "id")
    )
    for draft in drafts:
        deadline = draft.review_deadline
        if deadline is not None and deadline <= now:
            out = access.outbound(draft, reader=True)
            due[draft.owner_id].drafts.append(
                LateDraft(draft.pk, out.url, out.title, draft.severity, deadline)
            )


def _add_waiting_reviews(due: dict[int, Digest], now: datetime) -> None:
    waiting = _waiting_reviews(now).filter(user__in=list(due)).order_by("submitted_at", "id")
    for user_id, pk, title, restricted, submitted_at in waiting.values_list(
        "user_id", "postmortem_id", "postmortem__title", "postmortem__restricted", "submitted_at"
    ):
        out, _ = _source(pk, title, restricted, reader=True)
        due[user_id].reviews.append(WaitingReview(pk, out.url, out.title, submitted_at))


def _add_unverified(due: dict[int, Digest], now: datetime) -> None:
    rows = (
        _unverified_items(now)
        .filter(postmortem__owner__in=list(due))
        .order_by()  # unordered, as the open items: each digest sorts its own
        .values_list(
            "id",
            "title",
            "kind",
            # When it was done, as a date and a time of day in UTC: Django reads those much
            # faster than a time stamp, which cost more than the rest of the line.
            TruncDate("completed_at", tzinfo=UTC),
            TruncTime("completed_at", tzinfo=UTC),
            "postmortem_id",
            "postmortem__title",
            "postmortem__restricted",
            "postmortem__owner_id",
        )
    )
    source = cache(_source)
    # Streamed: on a site where few fixes get verified, these are the bulk of a sweep's lines.
    for pk, title, kind, day, time, pm_id, pm_title, restricted, owner_id in rows.iterator():
        digest = due[owner_id]
        # The postmortem's owner reads it: the item's title goes, a restricted title does not.
        out, named = source(pm_id, pm_title, restricted, True)
        completed_at = datetime.combine(day, time, UTC)
        digest.unverified.append(
            Unverified(pk, out.item_title(pk, title), sys.intern(kind), completed_at, named)
        )


def _add_anniversaries(due: dict[int, Digest]) -> None:
    """For those who asked for them; a query per such person, who are few."""
    users = get_user_model().objects.in_bulk(
        [pk for pk, digest in due.items() if digest.wants_anniversaries]
    )
    for pk, user in users.items():
        digest = due[pk]
        for postmortem in anniversaries(user=user, day=digest.day):
            out = access.outbound(postmortem, reader=True)
            began = postmortem.began.astimezone(digest.zone).date()
            digest.anniversaries.append(Anniversary(postmortem.pk, out.url, out.title, began))


def reminders_plan(*, now: datetime | None = None) -> list[Digest]:
    """The digests due at `now`: for each person whose local hour has come and who has not
    had today's digest, their overdue and due-soon items, the items escalated to them, their
    drafts past the review deadline and the reviews long waiting for them. Empty digests are
    left out."""
    now = now or timezone.now()
    due = _people_due(now)
    if due:
        # Heartbeats age by the real clock, even when `now` replays another moment.
        _leave_out_settled(due, clock=timezone.now())
    if not due:
        return []
    _add_items(due)
    _add_late_drafts(due, now)
    _add_waiting_reviews(due, now)
    _add_unverified(due, now)
    _add_anniversaries(due)
    digests = [digest for digest in due.values() if digest]
    for digest in digests:
        digest.sort_lines()
    return digests
