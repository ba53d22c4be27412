from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Window
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from simple_history.models import DeletedObject

from config.events import announce
from config.fields import person_name
from postmortems.chatlog import ChatMessage
from postmortems.models import ContributingFactor, Draft, Postmortem, Recurrence, TimelineEvent

# A postmortem's page shows the first events of its timeline and the rest on "Show all", so
# that a timeline of thousands of events stays quick to draw and light to load.
PAGE_EVENTS = 100


@dataclass
class TimelineWindow:
    """The events a postmortem's page shows, in order, out of `total`."""

    events: list[TimelineEvent]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.events)

    @property
    def expanded(self) -> bool:
        """Showing all of a timeline longer than the page shows at first."""
        return self.total > PAGE_EVENTS and not self.hidden


@transaction.atomic
def postmortem_create(*, form, owner) -> Postmortem:
    """Save a valid creation form as `owner`'s new postmortem, and announce it."""
    postmortem = form.save(commit=False)
    postmortem.owner = owner
    postmortem.save()
    form.save_m2m()
    postmortem.take_team_from_services()
    announce("postmortem.created", postmortem)
    return postmortem


def timeline_window(
    *, postmortem: Postmortem, show_all: bool = False, showing: TimelineEvent | None = None
) -> TimelineWindow:
    """The first PAGE_EVENTS events; all of them when asked, or when `showing` (an event just
    saved, which its author expects to see) would be left out."""
    events = postmortem.events.all()
    if not show_all:
        # Each row counts them all (COUNT(*) OVER ()): the first rows and the total in one query.
        first = list(events.annotate(total=Window(Count("pk")))[:PAGE_EVENTS])
        total = first[0].total if first else 0
        if len(first) == total or showing is None or showing in first:
            return TimelineWindow(first, total)
    every = list(events)
    return TimelineWindow(every, len(every))


def timeline_repeats(*, postmortem: Postmortem, messages: list[ChatMessage]) -> dict[int, str]:
    """The lines of `messages` not to import, with why: on the timeline already, or pasted twice."""
    on_timeline = set(postmortem.events.values_list("occurred_at", "description"))
    first_line: dict[tuple[datetime, str], int] = {}
    repeats = {}
    for message in messages:
        key = (message.occurred_at, message.description)
        if key in on_timeline:
            repeats[message.line] = "Already on the timeline"
        elif key in first_line:
            repeats[message.line] = f"Repeats line {first_line[key]}"
        else:
            first_line[key] = message.line
    return repeats


@transaction.atomic
def timeline_import(
    *,
    postmortem: Postmortem,
    messages: list[ChatMessage],
    kinds: Mapping[int, str] | None = None,
) -> tuple[int, int]:
    """Add chat messages to the timeline as the kinds chosen by line (else notes); set key times.

    Messages already on the timeline, or pasted twice, are skipped. Returns (added, skipped).
    """
    repeats = timeline_repeats(postmortem=postmortem, messages=messages)
    new = [
        TimelineEvent(
            postmortem=postmortem,
            occurred_at=m.occurred_at,
            kind=(kinds or {}).get(m.line, TimelineEvent.Kind.NOTE),
            description=m.description,
        )
        for m in messages
        if m.line not in repeats
    ]
    TimelineEvent.objects.bulk_create(new)
    postmortem.sync_key_times()
    if new:
        postmortem.mark_text_changed()
    return len(new), len(messages) - len(new)


EMPTY = "—"


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    what: str  # "Summary", "Timeline event “Lag alert fired”"…
    action: str  # created, changed, deleted
    changes: list[tuple[str, str, str]]  # (field, old, new), as a person reads them


def shorten(text: str, limit: int) -> str:
    """`text` cut at the last whole word that fits in `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _shown(field, value, tz: zoneinfo.ZoneInfo) -> str:
    """A field's value as the page shows it: labels for choices, local times, "—" for none."""
    if value is None or value == "":
        return EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, DeletedObject):
        return f"(deleted, #{value.pk})"
    if hasattr(value, "get_full_name"):
        return person_name(value)
    return shorten(str(value), 300)


def history_entries(records, label, *, tz: zoneinfo.ZoneInfo) -> list[HistoryEntry]:
    """simple-history records as what a person reads: who, when, which field from what to what.

    Times, the record's own and those in the fields, are in `tz`: the incident's zone.
    """
    actions = {"+": "created", "~": "changed", "-": "deleted"}
    entries = []
    for record in records:
        changes = []
        previous = record.prev_record
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, foreign_keys_are_objs=True)
            for change in delta.changes:
                field = record.instance._meta.get_field(change.field)
                changes.append(
                    (
                        field.verbose_name,
                        _shown(field, change.old, tz),
                        _shown(field, change.new, tz),
                    )
                )
            if not changes:
                continue
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=timezone.localtime(record.history_date, tz),
                who=person_name(user) if user else "the system",
                what=label(record),
                action=actions[record.history_type],
                changes=changes,
            )
        )
    return entries


def postmortem_history(postmortem: Postmortem) -> list[HistoryEntry]:
    """Who changed what and when, on the document, its timeline and its factors; newest first."""
    tz = postmortem.tz
    entries = history_entries(
        postmortem.history.select_related("history_user"), lambda r: "The postmortem", tz=tz
    )
    for model, noun in [
        (TimelineEvent, "Timeline event"),
        (ContributingFactor, "Contributing factor"),
    ]:
        records = model.history.filter(postmortem_id=postmortem.pk).select_related("history_user")
        entries += history_entries(
            records, lambda r, noun=noun: f"{noun} “{shorten(r.description, 60)}”", tz=tz
        )
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


def _same_text(draft_text: str, saved_text: str) -> bool:
    # Browsers send line breaks as CRLF and the form strips the saved text.
    return draft_text.replace("\r\n", "\n").strip() == saved_text.replace("\r\n", "\n").strip()


def draft_save(
    *, postmortem: Postmortem, user, field: str, text: str, base_version: str
) -> Draft | None:
    """Keep `text` as `user`'s draft of `field`; None if it is the saved text already.

    An autosave that arrives after the save it led to holds what was saved: kept, it would
    be restored as unsaved text with a version that looks like someone else's change.
    """
    if _same_text(text, getattr(postmortem, field)):
        Draft.objects.filter(postmortem=postmortem, user=user, field=field).delete()
        return None
    draft, created = Draft.objects.get_or_create(
        postmortem=postmortem,
        user=user,
        field=field,
        defaults={"text": text, "base_version": base_version},
    )
    if not created:
        # The base stays the version the first unsaved keystroke started from.
        draft.text = text
        draft.save(update_fields=["text", "saved_at"])
    return draft


def drafts_for(*, postmortem: Postmortem, user, fields) -> list[Draft]:
    """`user`'s drafts of `fields` that differ from the saved text; the others are deleted."""
    drafts = list(Draft.objects.filter(postmortem=postmortem, user=user, field__in=list(fields)))
    stale = [d.pk for d in drafts if _same_text(d.text, getattr(postmortem, d.field))]
    if stale:
        Draft.objects.filter(pk__in=stale).delete()
    return [draft for draft in drafts if draft.pk not in stale]


def anniversaries(*, user, day: date, limit: int = 10) -> list[Postmortem]:
    """Postmortems of earlier years whose incident began in the same ISO week as `day`, on the
    services of the teams `user` belongs to (a team's members are its group's), that `user`
    may read. An incident with no start time counts from when its postmortem was written."""
    year, week, _ = day.isocalendar()
    began = Coalesce("started_at", "created_at")
    return list(
        Postmortem.objects.visible_to(user)
        .filter(services__team__group__user=user)
        .annotate(began=began)
        .filter(began__iso_year__lt=year, began__week=week)
        .distinct()
        .order_by("-began", "-id")
        .only("title", "severity", "status", "restricted", "started_at", "created_at")[:limit]
    )


# Recurrence after fix ---------------------------------------------------------------------


def _items_all_done():
    """Whether a factor's postmortem had action items, all of them done. Action items sit
    above this app, so their model is looked up by name, as postmortems.access does."""
    items = apps.get_model("actions", "ActionItem").objects.filter(
        postmortem=OuterRef("postmortem")
    )
    return Exists(items) & ~Exists(items.exclude(status="done"))


def recurrences_refresh(*, postmortem: Postmortem) -> None:
    """Suggest "possible recurrence after fix" for each factor of `postmortem` that has the
    category of a factor of an earlier postmortem (by when the incident began) on one of the
    same services, whose action items were all done. Called wherever factors or services are
    saved; suggestions that no longer hold go, decided ones stay."""
    factors = list(postmortem.factors.only("category"))
    service_ids = list(postmortem.services.values_list("pk", flat=True))
    began = postmortem.started_at or postmortem.created_at
    wanted: set[tuple[int, int]] = set()
    if factors and service_ids:
        earlier = (
            ContributingFactor.objects.exclude(postmortem=postmortem)
            .filter(
                category__in={factor.category for factor in factors},
                postmortem__services__in=service_ids,
            )
            .annotate(began=Coalesce("postmortem__started_at", "postmortem__created_at"))
            .filter(_items_all_done(), began__lt=began)
            .values_list("pk", "category")
            .distinct()
        )
        by_category: dict[str, list[int]] = {}
        for pk, category in earlier:
            by_category.setdefault(category, []).append(pk)
        wanted = {(f.pk, e) for f in factors for e in by_category.get(f.category, [])}
    mine = Recurrence.objects.filter(new_factor__postmortem=postmortem)
    known = set(mine.values_list("new_factor_id", "earlier_factor_id"))
    with transaction.atomic():
        for pk, new, old in mine.filter(status=Recurrence.Status.SUGGESTED).values_list(
            "pk", "new_factor_id", "earlier_factor_id"
        ):
            if (new, old) not in wanted:
                Recurrence.objects.filter(pk=pk).delete()
        Recurrence.objects.bulk_create(
            [Recurrence(new_factor_id=new, earlier_factor_id=old) for new, old in wanted - known],
            ignore_conflicts=True,
        )


def recurrences_for(*, postmortem: Postmortem, user) -> dict[str, list[Recurrence]]:
    """What the page shows `user`: the suggested and confirmed recurrences of this
    postmortem's factors, and the confirmed ones where its factors came back later. The other
    postmortem is never shown to someone who may not read it."""
    readable = Postmortem.objects.visible_to(user).values("pk")
    related = (
        "new_factor__postmortem",
        "earlier_factor__postmortem",
        "decided_by",
    )
    shown = [Recurrence.Status.SUGGESTED, Recurrence.Status.CONFIRMED]
    after = (
        Recurrence.objects.filter(
            new_factor__postmortem=postmortem,
            status__in=shown,
            earlier_factor__postmortem__in=readable,
        )
        .select_related(*related)
        .prefetch_related("earlier_factor__postmortem__action_items")
    )
    came_back = Recurrence.objects.filter(
        earlier_factor__postmortem=postmortem,
        status=Recurrence.Status.CONFIRMED,
        new_factor__postmortem__in=readable,
    ).select_related(*related)
    return {"after_fix": list(after), "came_back": list(came_back)}


def recurrence_decide(*, postmortem: Postmortem, pk: int, status: str, by) -> Recurrence:
    """The owner's (or a superuser's) confirmation or dismissal of a suggestion they can see."""
    if by.pk != postmortem.owner_id and not by.is_superuser:
        raise PermissionDenied("Only the postmortem's owner can confirm or dismiss a recurrence.")
    shown = recurrences_for(postmortem=postmortem, user=by)["after_fix"]
    recurrence = next((r for r in shown if r.pk == pk), None)
    if recurrence is None:
        raise Http404("No such suggestion on this postmortem.")
    recurrence.decide(status, by=by)
    return recurrence
