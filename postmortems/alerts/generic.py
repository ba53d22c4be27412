"""Debrief's own JSON, for any sender that can post a signed body (see README, Alert intake)."""

from __future__ import annotations

from postmortems.alerts.base import (
    Happening,
    Incident,
    PayloadError,
    Transition,
    moment,
    need,
    text,
)
from postmortems.models import AlertSource

# The statuses a sender may post, each the Transition of that name.
STATUSES = ("triggered", "acknowledged", "escalated", "resolved")


def read(payload: dict, source: AlertSource) -> list[Incident]:
    key = need(payload, "incident_key", str)
    if not key.strip():
        raise PayloadError("“incident_key” is empty.")
    transition = need(payload, "status", str)
    if transition not in STATUSES:
        raise PayloadError(f"“status” must be one of {', '.join(STATUSES)}.")
    occurred = moment(need(payload, "occurred_at", str), "occurred_at")
    title = text(payload, "title") or key
    labels = payload.get("labels") if isinstance(payload.get("labels"), dict) else {}
    event_id = text(payload, "event_id") or f"{transition}@{occurred.isoformat()}"
    happening_key = "resolved" if transition == Transition.RESOLVED else event_id
    who = text(payload, "responder")
    by = f" by {who}" if who else ""
    line = text(payload, "message") or f"{transition.capitalize()}{by}: {title}"
    incident = Incident(key=key, title=title)
    incident.happenings.append(
        Happening(happening_key, transition, occurred, line, text(payload, "url"))
    )
    incident.severity_values.append(
        text(payload, "severity") or str(labels.get(source.severity_label, ""))
    )
    services = payload.get("services", [])
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise PayloadError("“services” must be a list of names.")
    incident.services += services
    if labels.get(source.service_label):
        incident.services.append(str(labels[source.service_label]))
    responders = payload.get("responders", [])
    if not isinstance(responders, list) or not all(isinstance(r, str) for r in responders):
        raise PayloadError("“responders” must be a list of email addresses.")
    incident.responder_emails += [*responders, who] if who else responders
    return [incident]
