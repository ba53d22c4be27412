"""Prometheus Alertmanager's webhook (version 4), which Grafana alerting's webhook follows too.

A notification carries a whole group (`groupKey`) with every alert of it, firing or resolved;
the same alert comes again on every repeat, so an alert is known by its fingerprint and start.
"""

from __future__ import annotations

from postmortems.alerts.base import (
    Happening,
    Incident,
    PayloadError,
    Transition,
    is_set,
    moment,
    need,
    text,
)
from postmortems.models import AlertSource


def read(payload: dict, source: AlertSource) -> list[Incident]:
    group_key = need(payload, "groupKey", str)
    if not group_key:
        raise PayloadError("“groupKey” is empty.")
    status = need(payload, "status", str)
    if status not in ("firing", "resolved"):
        raise PayloadError(f"“status” must be firing or resolved, not {status[:20]!r}.")
    alerts = need(payload, "alerts", list)
    if not alerts:
        raise PayloadError("“alerts” is empty.")
    common = payload.get("commonLabels") if isinstance(payload.get("commonLabels"), dict) else {}
    annotations = payload.get("commonAnnotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    incident = Incident(key=group_key, title="")
    resolved_at = []
    for i, alert in enumerate(alerts):
        where = f"alerts[{i}]"
        labels = need(alert, "labels", dict, where)
        alert_status = need(alert, "status", str, where)
        starts = moment(need(alert, "startsAt", str, where), f"{where}.startsAt")
        name = str(labels.get("alertname", "alert"))
        notes = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
        summary = str(notes.get("summary") or notes.get("description") or "")
        url = text(alert, "generatorURL")
        # An alert that fires again later starts again: a new identity.
        identity = f"{text(alert, 'fingerprint') or sorted(labels.items())}@{starts.isoformat()}"
        line = f"{name} firing" + (f": {summary}" if summary else "")
        incident.happenings.append(
            Happening(f"{identity}:triggered", Transition.TRIGGERED, starts, line, url)
        )
        if alert_status == "resolved":
            ends = moment(need(alert, "endsAt", str, where), f"{where}.endsAt")
            if not is_set(ends):
                raise PayloadError(f"“{where}.endsAt” is needed for a resolved alert.")
            resolved_at.append(ends)
            incident.happenings.append(
                Happening(
                    f"{identity}:resolved", Transition.RECOVERED, ends, f"{name} resolved", url
                )
            )
        incident.severity_values.append(str(labels.get(source.severity_label, "")))
        service = labels.get(source.service_label)
        if service:
            incident.services.append(str(service))
    if status == "resolved" and resolved_at:
        incident.happenings.append(
            Happening(
                "group:resolved",
                Transition.RESOLVED,
                max(resolved_at),
                "All alerts of the group resolved",
                text(payload, "externalURL"),
            )
        )
    first = alerts[0]
    first_notes = first.get("annotations") if isinstance(first.get("annotations"), dict) else {}
    name = common.get("alertname") or first["labels"].get("alertname") or "Alert"
    summary = annotations.get("summary") or first_notes.get("summary") or ""
    incident.title = f"{name}: {summary}" if summary else str(name)
    return [incident]
