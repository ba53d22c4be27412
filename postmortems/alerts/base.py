"""What every sender's payload is read into: incidents, each with the events it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from postmortems.models import TimelineEvent


class PayloadError(ValueError):
    """A delivery that cannot be read; its message is the reason the sender is told (400)."""


class Transition:
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    # One alert of a group stopped firing: customers' impact ended there.
    RECOVERED = "recovered"
    # The whole incident is over.
    RESOLVED = "resolved"


# The timeline kind of each transition.
KINDS = {
    Transition.TRIGGERED: TimelineEvent.Kind.DETECTION,
    Transition.ACKNOWLEDGED: TimelineEvent.Kind.NOTE,
    Transition.ESCALATED: TimelineEvent.Kind.ESCALATION,
    Transition.RECOVERED: TimelineEvent.Kind.IMPACT_END,
    Transition.RESOLVED: TimelineEvent.Kind.RESOLUTION,
}


@dataclass
class Happening:
    """One thing that happened to an incident, as the sender reports it.

    `key` names it uniquely within its incident, whichever delivery brings it, so a retry or an
    out-of-order delivery finds it already recorded. A RESOLVED happening has one key per
    incident and moves to the latest resolution reported.
    """

    key: str
    transition: str
    occurred_at: datetime
    description: str
    url: str = ""


@dataclass
class Incident:
    key: str
    title: str
    severity_values: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    happenings: list[Happening] = field(default_factory=list)
    responder_emails: list[str] = field(default_factory=list)


WORDS = {str: "a string", int: "a number", list: "a list", dict: "an object"}


def need(data: Any, name: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    """`data[name]`, which must be of `kind`, or a PayloadError that names what is wrong."""
    label = f"{where}.{name}" if where else name
    if not isinstance(data, dict) or name not in data:
        raise PayloadError(f"“{label}” is missing.")
    value = data[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join(WORDS.get(k, k.__name__) for k in kinds)
        raise PayloadError(f"“{label}” must be {names}.")
    return value


def text(data: Any, name: str, default: str = "") -> str:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else default


def moment(value: Any, label: str) -> datetime:
    """An RFC 3339 time (as Alertmanager, Grafana and PagerDuty send) as an aware datetime."""
    if not isinstance(value, str):
        raise PayloadError(f"“{label}” must be a time such as 2026-03-02T14:02:00Z.")
    try:
        parsed = datetime.fromisoformat(_trim_fraction(value.replace("Z", "+00:00")))
    except ValueError:
        raise PayloadError(f"“{label}” is not a time: {value[:40]!r}.") from None
    if parsed.tzinfo is None:
        raise PayloadError(f"“{label}” has no time zone: {value[:40]!r}.")
    return parsed.astimezone(UTC)


def _trim_fraction(value: str) -> str:
    """Go writes nanoseconds (…:03.157076123+02:00); Python reads at most microseconds."""
    if "." not in value:
        return value
    head, rest = value.split(".", 1)
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"


def is_set(when: datetime) -> bool:
    """Alertmanager and Grafana send 0001-01-01T00:00:00Z for "no end yet"."""
    return when.year > 1
