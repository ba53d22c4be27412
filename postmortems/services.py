from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from postmortems import page_cache
from postmortems.chatlog import ChatMessage
from postmortems.models import ContributingFactor, Draft, Postmortem, TimelineEvent


@transaction.atomic
def timeline_import(*, postmortem: Postmortem, messages: list[ChatMessage]) -> tuple[int, int]:
    """Add chat messages to the timeline, skipping any already on it. Returns (added, skipped)."""
    existing = set(postmortem.events.values_list("occurred_at", "description"))
    new = [
        TimelineEvent(postmortem=postmortem, occurred_at=m.occurred_at, description=m.description)
        for m in messages
        if (m.occurred_at, m.description) not in existing
    ]
    TimelineEvent.objects.bulk_create(new)
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
