"""What happened, said by the apps where it happens, for whoever listens above them.

The apps are layers and a lower one never imports a higher one, so postmortems, actions and
reviews announce their events here, and the outbound webhooks (the top layer) connect to
`announced`. An announcement made inside a transaction is heard inside it: a listener that
writes rows writes them in the same transaction, and sends nothing before it commits.
"""

from __future__ import annotations

from django.dispatch import Signal

EVENTS = {
    "postmortem.created": "A postmortem was created.",
    "postmortem.submitted": "A draft was submitted for review.",
    "postmortem.published": "A postmortem was published.",
    "postmortem.updated": "The text of a postmortem changed.",
    "action_item.created": "An action item was added.",
    "action_item.status_changed": "An action item moved to another status.",
    "action_item.overdue": "An open action item passed its due date.",
    "review.verdict": "A reviewer approved a postmortem or requested changes.",
    "meeting.ended": "A review meeting ended.",
}

# Sent with `event` (a name in EVENTS), `objects` (the model instances it is about) and
# `details` (a dict of what the objects do not hold: an item's previous status, say).
announced = Signal()


def announce(event: str, *objects, **details) -> None:
    """Announce `event` about each of `objects` (one event per object)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown event {event!r}")
    if objects:
        announced.send(sender=None, event=event, objects=objects, details=details)
