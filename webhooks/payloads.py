"""What a webhook says about an event: the `data` of each payload (see README, "Webhooks").

A restricted postmortem goes out as `postmortems.access.outbound(pm, reader=False)` allows:
its reference and link, never its title or any text; its action items by number. A
subscriber is another company's server, never a reader.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from actions.models import ActionItem
from config.events import EVENTS
from postmortems.access import outbound
from postmortems.models import Postmortem
from reviews.models import Meeting, Reviewer


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _username(user) -> str | None:
    return user.get_username() if user else None


def postmortem_data(postmortem: Postmortem) -> dict:
    out = outbound(postmortem, reader=False)
    data = {"id": postmortem.pk, "reference": out.reference, "url": out.url}
    if out.restricted:
        return data | {"restricted": True}
    return data | {
        "restricted": False,
        "title": out.title,
        "status": postmortem.status,
        "kind": postmortem.kind,
        "severity": postmortem.severity,  # null for a near miss
        "owner": _username(postmortem.owner),
        "started_at": _time(postmortem.started_at),
        "published_at": _time(postmortem.published_at),
        "text_version": postmortem.text_version,
    }


def action_item_data(item: ActionItem) -> dict:
    out = outbound(item.postmortem, reader=False)
    data = {
        "id": item.pk,
        "url": settings.SITE_URL + reverse("actions:detail", args=[item.pk]),
        "title": out.item_title(item.pk, item.title),
        "status": item.status,
        "due_date": item.due_date.isoformat(),
        "postmortem": postmortem_data(item.postmortem) if item.postmortem else None,
    }
    if out.restricted:
        return data
    return data | {
        "priority": item.priority,
        "kind": item.kind,
        "owner": _username(item.owner),
        "tracker_url": item.tracker_url,
    }


def _verdict(reviewer: Reviewer) -> dict:
    return {
        "postmortem": postmortem_data(reviewer.postmortem),
        "reviewer": _username(reviewer.user),
        "verdict": reviewer.verdict,
        "version": reviewer.reviewed_version,
    }


def _meeting(meeting: Meeting) -> dict:
    agenda = meeting.agenda.select_related("postmortem__owner").order_by("position")
    return {
        "meeting": {
            "id": meeting.pk,
            "url": settings.SITE_URL + meeting.get_absolute_url(),
            "title": meeting.title,
            "starts_at": _time(meeting.starts_at),
            "ended_at": _time(meeting.ended_at),
            "postmortems": [postmortem_data(entry.postmortem) for entry in agenda],
        }
    }


def _postmortem(postmortem: Postmortem) -> dict:
    return {"postmortem": postmortem_data(postmortem)}


def _action_item(item: ActionItem, **details) -> dict:
    """An item, with what an event adds: its previous and new status, or how late it is."""
    if today := details.pop("today", None):
        details["days_overdue"] = (today - item.due_date).days
    return {"action_item": action_item_data(item), **details}


BUILDERS = {
    **dict.fromkeys([name for name in EVENTS if name.startswith("postmortem.")], _postmortem),
    **dict.fromkeys([name for name in EVENTS if name.startswith("action_item.")], _action_item),
    "review.verdict": _verdict,
    "meeting.ended": _meeting,
}


def event_data(event: str, obj, details: dict) -> dict:
    return BUILDERS[event](obj, **details)


# Sending later: a postmortem restricted since the event -------------------------------------


def _postmortems_in(data) -> list[dict]:
    """Every postmortem object in a payload's data, wherever it sits."""
    found = []
    if isinstance(data, dict):
        if "reference" in data and "restricted" in data:
            found.append(data)
        for value in data.values():
            found.extend(_postmortems_in(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(_postmortems_in(value))
    return found


def now_restricted(*datas: dict) -> set[int]:
    """The postmortems that payloads showed as readable and that are restricted now."""
    shown = {pm["id"] for data in datas for pm in _postmortems_in(data) if not pm["restricted"]}
    if not shown:
        return set()
    rows = Postmortem.objects.filter(pk__in=shown, restricted=True)
    return set(rows.values_list("pk", flat=True))


def redacted(data: dict, restricted: set[int] | None = None) -> dict:
    """`data` without what it said of postmortems restricted since the event (`restricted`,
    else looked up): a retry or a Redeliver hours later sends what may leave the site now."""
    restricted = now_restricted(data) if restricted is None else restricted
    return _redact(data, restricted) if restricted else data


def payload_text(payload: dict, restricted: set[int]) -> str:
    """A payload as the delivery log shows it, indented."""
    shown = payload | {"data": redacted(payload["data"], restricted)}
    return json.dumps(shown, indent=2, ensure_ascii=False)


def _redact(data, ids: set[int]):
    if isinstance(data, list):
        return [_redact(value, ids) for value in data]
    if not isinstance(data, dict):
        return data
    if "reference" in data and data.get("id") in ids:
        return {key: data[key] for key in ("id", "reference", "url")} | {"restricted": True}
    pm = data.get("postmortem")
    if "due_date" in data and isinstance(pm, dict) and pm.get("id") in ids:  # an action item
        keep = ("id", "url", "status", "due_date")
        return {key: data[key] for key in keep} | {
            "title": f"Action item #{data['id']}",
            "postmortem": _redact(pm, ids),
        }
    return {key: _redact(value, ids) for key, value in data.items()}
