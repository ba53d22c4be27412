"""GitLab issues: the REST API subset Debrief uses, and its issue webhooks.

API: https://docs.gitlab.com/api/issues/ (issues are addressed by project path and `iid`);
webhooks carry the secret token in X-Gitlab-Token
(https://docs.gitlab.com/user/project/integrations/webhooks/) and the issue event's body is
described at https://docs.gitlab.com/user/project/integrations/webhook_events/#work-item-events.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from datetime import date
from urllib.parse import quote

from actions.trackers.base import BadDelivery, Issue, call, parse_time, plain_number

HAS_DUE_DATE = True


def _headers(connection) -> dict[str, str]:
    return {"PRIVATE-TOKEN": connection.token}


def _api(connection) -> str:
    return f"{connection.base_url.rstrip('/')}/api/v4"


def _issues_url(connection) -> str:
    return f"{_api(connection)}/projects/{quote(connection.project, safe='')}/issues"


def _due(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        raise BadDelivery(f"not a date: {value!r}") from None


def read(data: Mapping, *, assignees=None) -> Issue:
    """An issue from the API, or a webhook's object_attributes with its `assignees`."""
    try:
        people = data.get("assignees") if assignees is None else assignees
        state = data["state"]
        return Issue(
            key=str(data["iid"]),
            url=data.get("web_url") or data["url"],
            closed=state == "closed",
            state=state,
            updated_at=parse_time(data["updated_at"]),
            assignee=(people[0].get("username") if people else None),
            due_date=_due(data.get("due_date")),
        )
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise BadDelivery(f"not a GitLab issue: missing {error}") from None


def _user_ids(connection, login: str | None) -> list[int]:
    """GitLab assigns by user id: the id of the account with that username, if there is one."""
    if not login:
        return []
    url = f"{_api(connection)}/users?username={quote(login)}"
    found = call("GET", url, headers=_headers(connection))
    return [found[0]["id"]] if isinstance(found, list) and found else []


def create(connection, *, title: str, body: str, labels: list[str], assignee: str | None):
    payload = {
        "title": title,
        "description": body,
        "labels": ",".join(labels),
        "assignee_ids": _user_ids(connection, assignee),
    }
    return read(
        call("POST", _issues_url(connection), headers=_headers(connection), payload=payload)
    )


def get(connection, key: str) -> Issue:
    return read(call("GET", f"{_issues_url(connection)}/{key}", headers=_headers(connection)))


def update(connection, key: str, *, closed: bool, assignee: str | None, due_date=None) -> Issue:
    payload = {
        "state_event": "close" if closed else "reopen",
        "assignee_ids": _user_ids(connection, assignee),
    }
    if due_date:
        payload["due_date"] = due_date.isoformat()
    url = f"{_issues_url(connection)}/{key}"
    return read(call("PUT", url, headers=_headers(connection), payload=payload))


def key_from(reference: str, connection) -> str | None:
    """`42`, `#42` or the issue's web address in the connection's project."""
    if number := plain_number(reference):
        return number
    match = re.search(r"/(.+?)/-/(?:issues|work_items)/(\d+)/?$", reference)
    if match and match.group(1).split("://")[-1].endswith(connection.project):
        return match.group(2)
    return None


def verify(connection, headers: Mapping[str, str], body: bytes, query=None) -> bool:
    token = headers.get("X-Gitlab-Token", "")
    secret = connection.webhook_secret
    return bool(secret) and hmac.compare_digest(token.encode(), secret.encode())


def webhook_issue(connection, headers: Mapping[str, str], body: bytes) -> Issue | None:
    """The issue an issue event is about; None for other events."""
    if headers.get("X-Gitlab-Event") not in ("Issue Hook", "Confidential Issue Hook"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        raise BadDelivery("the body is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("object_attributes"), dict):
        raise BadDelivery("an issue event without object_attributes.")
    return read(data["object_attributes"], assignees=data.get("assignees") or [])
