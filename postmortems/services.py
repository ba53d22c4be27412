from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from postmortems import page_cache
from postmortems.chatlog import ChatMessage
from postmortems.models import ContributingFactor, Draft, Postmortem, TimelineEvent


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
    page_cache.bump(postmortem.pk)
    return len(new), len(messages) - len(new)


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    what: str  # "Summary", "Timeline event 14:05"…
    action: str  # created, changed, deleted
    changes: list[tuple[str, str, str]]  # (field, old, new)


def history_entries(records, label) -> list[HistoryEntry]:
    """simple-history records as what a person reads: who, when, which field from what to what."""
    actions = {"+": "created", "~": "changed", "-": "deleted"}
    entries = []
    for record in records:
        changes = []
        previous = record.prev_record
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            changes = [
                (record.instance._meta.get_field(c.field).verbose_name, str(c.old), str(c.new))
                for c in delta.changes
            ]
            if not changes:
                continue
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "the system",
                what=label(record),
                action=actions[record.history_type],
                changes=changes,
            )
        )
    return entries


def postmortem_history(postmortem: Postmortem) -> list[HistoryEntry]:
    """Who changed what and when, on the document, its timeline and its factors; newest first."""
    entries = history_entries(
        postmortem.history.select_related("history_user"), lambda r: "The postmortem"
    )
    entries += history_entries(
        TimelineEvent.history.filter(postmortem_id=postmortem.pk).select_related("history_user"),
        lambda r: f"Timeline event “{r.description[:60]}”",
    )
    entries += history_entries(
        ContributingFactor.history.filter(postmortem_id=postmortem.pk).select_related(
            "history_user"
        ),
        lambda r: f"Contributing factor “{r.description[:60]}”",
    )
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


def draft_save(*, postmortem: Postmortem, user, field: str, text: str, base_version: str) -> Draft:
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
    return list(Draft.objects.filter(postmortem=postmortem, user=user, field__in=list(fields)))
