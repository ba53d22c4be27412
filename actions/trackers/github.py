"""GitHub Issues: the REST API subset Debrief uses, and its `issues` webhooks.

API: https://docs.github.com/en/rest/issues/issues ; webhooks are signed with
X-Hub-Signature-256 (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
GitHub issues have no due date, so due dates stay in Debrief.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping

from actions.trackers.base import BadDelivery, Issue, call, parse_time, plain_number

HAS_DUE_DATE = False


def _headers(connection) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {connection.token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }


def _issues_url(connection) -> str:
    return f"{connection.base_url.rstrip('/')}/repos/{connection.project}/issues"


def read(data: Mapping) -> Issue:
    try:
        assignee = data.get("assignee") or {}
        return Issue(
            key=str(data["number"]),
            url=data["html_url"],
            closed=data["state"] == "closed",
            state=data["state"],
            updated_at=parse_time(data["updated_at"]),
            assignee=assignee.get("login"),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise BadDelivery(f"not a GitHub issue: missing {error}") from None


def create(connection, *, title: str, body: str, labels: list[str], assignee: str | None):
    payload = {"title": title, "body": body, "labels": labels}
    if assignee:
        payload["assignees"] = [assignee]
    return read(
        call("POST", _issues_url(connection), headers=_headers(connection), payload=payload)
    )


def get(connection, key: str) -> Issue:
    return read(call("GET", f"{_issues_url(connection)}/{key}", headers=_headers(connection)))


def update(connection, key: str, *, closed: bool, assignee: str | None, due_date=None) -> Issue:
    payload = {"state": "closed" if closed else "open", "assignees": [assignee] if assignee else []}
    url = f"{_issues_url(connection)}/{key}"
    return read(call("PATCH", url, headers=_headers(connection), payload=payload))


def key_from(reference: str, connection) -> str | None:
    """`42`, `#42` or the issue's web address in the connection's repository."""
    if number := plain_number(reference):
        return number
    match = re.search(r"/([^/]+/[^/]+)/issues/(\d+)/?$", reference)
    if match and match.group(1).lower() == connection.project.lower():
        return match.group(2)
    return None


def verify(connection, headers: Mapping[str, str], body: bytes, query=None) -> bool:
    signature = headers.get("X-Hub-Signature-256", "")
    secret = connection.webhook_secret.encode()
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return bool(connection.webhook_secret) and hmac.compare_digest(signature, expected)


def webhook_issue(connection, headers: Mapping[str, str], body: bytes) -> Issue | None:
    """The issue an `issues` event is about; None for other events (a `ping`, say)."""
    if headers.get("X-GitHub-Event") != "issues":
        return None
    try:
        data = json.loads(body)
    except ValueError:
        raise BadDelivery("the body is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("issue"), dict):
        raise BadDelivery("an issues event without an issue.")
    return read(data["issue"])
