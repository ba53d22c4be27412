from __future__ import annotations

from django.db import transaction

from postmortems.chatlog import ChatMessage
from postmortems.models import Postmortem, TimelineEvent


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
    return len(new), len(messages) - len(new)
