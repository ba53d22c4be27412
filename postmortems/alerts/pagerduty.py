"""PagerDuty's v3 webhooks: one event a delivery, about one incident (`event.data`)."""

from __future__ import annotations

from postmortems.alerts.base import Happening, Incident, Transition, moment, need, text
from postmortems.models import AlertSource

TRANSITIONS = {
    "incident.triggered": Transition.TRIGGERED,
    "incident.acknowledged": Transition.ACKNOWLEDGED,
    "incident.escalated": Transition.ESCALATED,
    "incident.resolved": Transition.RESOLVED,
}


def read(payload: dict, source: AlertSource) -> list[Incident]:
    event = need(payload, "event", dict)
    event_type = need(event, "event_type", str, "event")
    if event_type not in TRANSITIONS:
        return []  # pagey.ping, notes, reassignments…: nothing for the timeline
    data = need(event, "data", dict, "event")
    incident_id = need(data, "id", str, "event.data")
    occurred = moment(need(event, "occurred_at", str, "event"), "event.occurred_at")
    url = text(data, "html_url")
    title = text(data, "title") or f"PagerDuty incident {incident_id}"
    incident = Incident(key=incident_id, title=title)
    agent = text(event.get("agent") or {}, "summary")
    transition = TRANSITIONS[event_type]
    # The incident's creation is in every event about it: a resolution that arrives before the
    # trigger still shows when it began.
    created = data.get("created_at")
    if created is not None or transition == Transition.TRIGGERED:
        started = occurred if created is None else moment(created, "event.data.created_at")
        incident.happenings.append(
            Happening("triggered", Transition.TRIGGERED, started, f"Triggered: {title}", url)
        )
    if transition != Transition.TRIGGERED:
        by = f" by {agent}" if agent else ""
        key = "resolved" if transition == Transition.RESOLVED else need(event, "id", str, "event")
        line = f"{transition.capitalize()}{by}"
        incident.happenings.append(Happening(key, transition, occurred, line, url))
    # The priority when the account uses priorities, else the urgency.
    incident.severity_values.append(text(data.get("priority"), "summary") or text(data, "urgency"))
    service = text(data.get("service") or {}, "summary")
    if service:
        incident.services.append(service)
    return [incident]
