"""Opsgenie's outgoing webhook integration: one alert action a delivery.

Alerts are grouped by their alias (Opsgenie's de-duplication key), else their id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from postmortems.alerts.base import Happening, Incident, PayloadError, Transition, need, text
from postmortems.models import AlertSource

TRANSITIONS = {
    "Create": Transition.TRIGGERED,
    "Acknowledge": Transition.ACKNOWLEDGED,
    "Escalate": Transition.ESCALATED,
    "EscalateNext": Transition.ESCALATED,
    "Close": Transition.RESOLVED,
}


def epoch(value: object, label: str) -> datetime:
    """Opsgenie sends `createdAt` in milliseconds and `updatedAt` in nanoseconds."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise PayloadError(f"“{label}” must be a number of milliseconds since 1970.")
    for scale in (1e18, 1e15, 1e12):
        if value >= scale:
            return datetime.fromtimestamp(value / (scale / 1e9), UTC)
    return datetime.fromtimestamp(value, UTC)


def read(payload: dict, source: AlertSource) -> list[Incident]:
    action = need(payload, "action", str)
    alert = need(payload, "alert", dict)
    if action not in TRANSITIONS:
        return []  # notes, tags, custom actions…: nothing for the timeline
    alert_id = need(alert, "alertId", str, "alert")
    message = text(alert, "message") or f"Opsgenie alert {alert_id}"
    created = epoch(need(alert, "createdAt", int, "alert"), "alert.createdAt")
    updated = (
        epoch(alert["updatedAt"], "alert.updatedAt") if "updatedAt" in alert else timezone.now()
    )
    base = source.link_base.rstrip("/")
    url = f"{base}/alert/detail/{alert_id}/details" if base else ""
    incident = Incident(key=text(alert, "alias") or alert_id, title=message)
    # Every action carries the alert's creation: a Close before its Create still starts it.
    incident.happenings.append(
        Happening(f"{alert_id}:create", Transition.TRIGGERED, created, f"Alert: {message}", url)
    )
    transition = TRANSITIONS[action]
    who = text(alert, "username")
    if transition != Transition.TRIGGERED:
        key = "resolved" if transition == Transition.RESOLVED else f"{alert_id}:{action}:{updated}"
        line = {
            Transition.ACKNOWLEDGED: "Acknowledged",
            Transition.ESCALATED: "Escalated",
            Transition.RESOLVED: "Closed",
        }[transition] + (f" by {who}" if who else "")
        incident.happenings.append(Happening(key, transition, updated, line, url))
        if "@" in who:
            incident.responder_emails.append(who)
    incident.severity_values.append(text(alert, "priority"))
    details = alert.get("details") if isinstance(alert.get("details"), dict) else {}
    if details.get(source.service_label):
        incident.services.append(str(details[source.service_label]))
    prefix = f"{source.service_label}:"
    tags = alert.get("tags") if isinstance(alert.get("tags"), list) else []
    incident.services += [t.removeprefix(prefix) for t in tags if str(t).startswith(prefix)]
    return [incident]
