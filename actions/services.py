from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone
from icalendar import Calendar, Event

from actions.models import (
    OPEN_STATUSES,
    ActionItem,
    ActionItemQuerySet,
    CalendarToken,
    Priority,
    Status,
    default_due_date,
    new_calendar_key,
)
from config.csv import csv_safe
from config.events import announce
from postmortems import access
from postmortems.models import Postmortem


@dataclass
class Summary:
    total: int
    open: int
    overdue: int
    done: int
    done_on_time: int
    wont_do: int
    median_days_to_close: float | None

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.done_on_time / self.done) if self.done else None

    @property
    def done_percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def wont_do_percent(self) -> int:
        return round(100 * self.wont_do / self.total) if self.total else 0


def action_items_summary(*, items: ActionItemQuerySet, today: date) -> Summary:
    """Counts of `items` and the median days to close, in two queries whatever their number
    (one when none is done)."""
    counts = items.counts(today)
    median = items.median_days_to_close(done=counts["done"])
    return Summary(**counts, median_days_to_close=median)


@dataclass
class ActionSection:
    """The action items of one postmortem as its page shows them to one person."""

    postmortem: Postmortem
    items: list[ActionItem]
    summary: Summary
    can_edit: bool
    missing_reason: str | None
    # Set by the template tag for editors: the forms to add an item and to say why there is none.
    add_form: object = None
    reason_form: object = None
    # Set by the template tag: whether all the items were asked for, which later swaps keep.
    show_all: bool = False

    @property
    def hidden(self) -> int:
        """How many items the section leaves out until someone asks for all of them."""
        return self.summary.total - len(self.items)


def postmortem_action_section(
    *, postmortem: Postmortem, user, limit: int | None = None
) -> ActionSection:
    """The section with its first `limit` items (all with None): open first, by due date."""
    can_edit = access.may_edit(user, postmortem)
    closed_last = Case(When(status__in=OPEN_STATUSES, then=0), default=1)
    items = postmortem.action_items.select_related("owner").order_by(closed_last, "due_date", "id")
    items = list(items[:limit] if limit is not None else items)
    for item in items:
        item.postmortem = postmortem
        item.changeable = access.may_change_item(user, item, editor=can_edit)
    summary = action_items_summary(items=postmortem.action_items.all(), today=timezone.localdate())
    missing = None if summary.total else postmortem.missing_action_items
    return ActionSection(postmortem, items, summary, can_edit, missing)


def action_item_create(*, by, postmortem: Postmortem | None = None, **fields) -> ActionItem:
    """A new item, due by default as its priority says, with its creation in the history."""
    if not fields.get("due_date"):
        fields["due_date"] = default_due_date(fields.get("priority") or Priority.P2)
    with transaction.atomic():
        item = ActionItem.objects.create(postmortem=postmortem, created_by=by, **fields)
        item.changes.create(changed_by=by, from_status="", to_status=item.status, note="Created")
        announce("action_item.created", item)
    return item


# Bulk changes from the list


BULK_ACTIONS = {
    "reassign": "Reassign owner",
    "move": "Move due date",
    "done": "Close as done",
    "wont_do": "Close as won't do",
}


@dataclass
class BulkResult:
    changed: list[ActionItem] = field(default_factory=list)
    skipped: list[ActionItem] = field(default_factory=list)
    stale: list[ActionItem] = field(default_factory=list)


@transaction.atomic
def action_items_bulk_update(
    *,
    items: Iterable[ActionItem],
    by,
    action: str,
    owner=None,
    due_date: date | None = None,
    reason: str = "",
    loaded_at: datetime | None = None,
) -> BulkResult:
    """Apply one change to every item `by` may change; the others are skipped, not failed.

    An item saved after `loaded_at` (when the list was drawn) is left as it is, in `stale`:
    the person chose it from what the list showed then.
    """
    result = BulkResult()
    editor_of: dict[int, bool] = {}
    for item in items:
        if item.postmortem_id is not None and item.postmortem_id not in editor_of:
            editor_of[item.postmortem_id] = access.may_edit(by, item.postmortem)
        if not access.may_change_item(by, item, editor=editor_of.get(item.postmortem_id)):
            result.skipped.append(item)
            continue
        if loaded_at is not None and item.updated_at > loaded_at:
            result.stale.append(item)
            continue
        if action == "reassign":
            item.reassign(owner, by=by)
        elif action == "move":
            item.move_due_date(due_date, by=by)
        elif action == "done":
            item.complete(by=by, note=reason)
        elif action == "wont_do":
            item.set_status(Status.WONT_DO, by=by, reason=reason)
        else:
            raise ValueError(f"Unknown bulk action {action!r}")
        result.changed.append(item)
    return result


# CSV export


CSV_HEADER = [
    "id",
    "title",
    "status",
    "priority",
    "kind",
    "owner",
    "due_date",
    "overdue",
    "postmortem",
    "postmortem_title",
    "services",
    "created_at",
    "completed_at",
    "reason",
    "tracker_url",
    "url",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def action_items_csv(
    *, items: ActionItemQuerySet, today: date, hidden: Collection[int] = ()
) -> Iterator[str]:
    """The rows of `items` as CSV lines, header first, streamed in chunks of the queryset.

    `hidden`: postmortems the reader may not read (access.hidden_postmortems), whose titles
    stay out of the rows of the reader's own items on them.
    """
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for item in items.iterator(chunk_size=500):
        postmortem = item.postmortem
        services = (
            ", ".join(sorted(t.name for t in postmortem.services.all())) if postmortem else ""
        )
        row = [
            item.pk,
            item.title,
            item.get_status_display(),
            item.priority,
            item.get_kind_display(),
            item.owner.get_username() if item.owner else "",
            item.due_date.isoformat(),
            "yes" if item.is_open and item.due_date < today else "no",
            postmortem.reference if postmortem else "",
            postmortem.title if postmortem and postmortem.pk not in hidden else "",
            services,
            timezone.localtime(item.created_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(item.completed_at).strftime("%Y-%m-%d %H:%M")
            if item.completed_at
            else "",
            item.reason,
            item.tracker_url,
            settings.SITE_URL + item.get_absolute_url(),
        ]
        yield writer.writerow([csv_safe(cell) for cell in row])


# Calendar feed


def calendar_token_renew(*, user) -> CalendarToken:
    """A new secret for the user's feed; the old URL stops working at once."""
    token, _ = CalendarToken.objects.update_or_create(
        user=user, defaults={"key": new_calendar_key(), "last_used_at": None}
    )
    return token


def calendar_token_revoke(*, user) -> None:
    CalendarToken.objects.filter(user=user).delete()


def calendar_feed(*, token: CalendarToken) -> bytes:
    """An iCalendar file with one all-day event on the due date of each open item of the user."""
    host = urlsplit(settings.SITE_URL).hostname or "debrief"
    calendar = Calendar()
    calendar.add("prodid", "-//Debrief//Action items//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Debrief: my action items")
    calendar.add("x-published-ttl", "PT1H")
    items = (
        ActionItem.objects.open()
        .filter(owner=token.user)
        .select_related("postmortem")
        .order_by("due_date", "id")
    )
    items = list(items)
    readers = access.readers_of({item.postmortem_id for item in items})
    for item in items:
        # A calendar is another company's service: what it gets follows access.outbound.
        reader = token.user_id in readers.get(item.postmortem_id, {token.user_id})
        out = access.outbound(item.postmortem, reader=reader)
        url = settings.SITE_URL + item.get_absolute_url()
        lines = [f"{item.get_priority_display()} · {item.get_kind_display()}"]
        lines.append(f"Status: {item.get_status_display()}")
        if out.name:
            lines.append(f"From {out.name}")
        lines.append(url)
        event = Event()
        event.add("uid", f"action-item-{item.pk}@{host}")
        event.add("dtstamp", item.updated_at)
        event.add("last-modified", item.updated_at)
        event.add("dtstart", item.due_date)
        event.add("dtend", item.due_date + timedelta(days=1))
        event.add("summary", f"Due: {out.item_title(item.pk, item.title)} [{item.priority}]")
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    CalendarToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return calendar.to_ical()
