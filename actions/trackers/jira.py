"""Jira Cloud and Data Center: the REST API v2 subset Debrief uses, and admin webhooks.

API: https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/ (create,
get, edit issue; get and do transitions), the same paths on Data Center
(https://docs.atlassian.com/software/jira/docs/api/REST/latest/). Cloud signs in with email and
API token (Basic), Data Center with a personal access token (Bearer).
Webhooks (https://developer.atlassian.com/server/jira/platform/webhooks/): Jira Cloud signs
with the webhook's secret as `X-Hub-Signature: sha256=<HMAC>`; Data Center cannot sign, so
its webhook URL carries the secret as `?secret=…`. Either is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import date
from urllib.parse import quote

from actions.trackers.base import BadDelivery, Issue, TrackerError, call, parse_time, plain_number

HAS_DUE_DATE = True
FIELDS = "status,updated,duedate,assignee"


def _headers(connection) -> dict[str, str]:
    if connection.email:  # Jira Cloud: email and API token
        pair = base64.b64encode(f"{connection.email}:{connection.token}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {connection.token}"}  # Data Center: a PAT


def _api(connection) -> str:
    return f"{connection.base_url.rstrip('/')}/rest/api/2"


def read(data: Mapping, connection) -> Issue:
    try:
        fields = data["fields"]
        status = fields["status"]
        person = fields.get("assignee") or {}
        due = fields.get("duedate")
        return Issue(
            key=data["key"],
            url=f"{connection.base_url.rstrip('/')}/browse/{data['key']}",
            closed=status["statusCategory"]["key"] == "done",
            state=status["name"],
            updated_at=parse_time(fields["updated"]),
            # Data Center names people; Cloud has only account ids, which match no one here.
            assignee=person.get("name"),
            due_date=date.fromisoformat(due) if due else None,
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise BadDelivery(f"not a Jira issue: {error}") from None


def _assignee(connection, login: str | None) -> dict | None:
    if not login:
        return None
    if not connection.email:
        return {"name": login}
    url = f"{_api(connection)}/user/search?query={quote(login)}"
    found = call("GET", url, headers=_headers(connection))
    return {"accountId": found[0]["accountId"]} if isinstance(found, list) and found else None


def create(connection, *, title: str, body: str, labels: list[str], assignee: str | None):
    fields = {
        "project": {"key": connection.project},
        "issuetype": {"name": "Task"},
        "summary": title,
        "description": body,
        "labels": [label.replace(" ", "-") for label in labels],  # Jira labels have no spaces
    }
    if person := _assignee(connection, assignee):
        fields["assignee"] = person
    url = f"{_api(connection)}/issue"
    created = call("POST", url, headers=_headers(connection), payload={"fields": fields})
    return get(connection, created["key"])


def get(connection, key: str) -> Issue:
    url = f"{_api(connection)}/issue/{quote(key)}?fields={FIELDS}"
    return read(call("GET", url, headers=_headers(connection)), connection)


def update(connection, key: str, *, closed: bool, assignee: str | None, due_date=None) -> Issue:
    fields: dict = {"assignee": _assignee(connection, assignee)}
    if due_date:
        fields["duedate"] = due_date.isoformat()
    url = f"{_api(connection)}/issue/{quote(key)}"
    call("PUT", url, headers=_headers(connection), payload={"fields": fields})
    issue = get(connection, key)
    if issue.closed != closed:
        _transition(connection, key, to="done" if closed else "new")
        issue = get(connection, key)
    return issue


def _transition(connection, key: str, *, to: str) -> None:
    """Jira moves issues by workflow transitions: the first one into the wanted category."""
    url = f"{_api(connection)}/issue/{quote(key)}/transitions"
    offered = call("GET", url, headers=_headers(connection)).get("transitions", [])
    for transition in offered:
        if transition.get("to", {}).get("statusCategory", {}).get("key") == to:
            payload = {"transition": {"id": transition["id"]}}
            call("POST", url, headers=_headers(connection), payload=payload)
            return
    raise TrackerError(f"{key}'s workflow offers no transition to a “{to}” status.")


def key_from(reference: str, connection) -> str | None:
    """`OPS-42`, `42` or the issue's /browse/ address, in the connection's project."""
    project = connection.project.upper()
    if number := plain_number(reference):
        return f"{project}-{number}"
    match = re.search(r"(?:^|/browse/)([A-Za-z][A-Za-z0-9_]*)-(\d+)/?$", reference)
    if match and match.group(1).upper() == project:
        return f"{project}-{match.group(2)}"
    return None


def verify(connection, headers: Mapping[str, str], body: bytes, query=None) -> bool:
    secret = connection.webhook_secret
    if not secret:
        return False
    signature = headers.get("X-Hub-Signature", "")
    if signature:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature, expected)
    given = (query or {}).get("secret", "")
    return hmac.compare_digest(given.encode(), secret.encode())


def webhook_issue(connection, headers: Mapping[str, str], body: bytes) -> Issue | None:
    try:
        data = json.loads(body)
    except ValueError:
        raise BadDelivery("the body is not JSON.") from None
    if not isinstance(data, dict):
        raise BadDelivery("the body is not a Jira event.")
    if data.get("webhookEvent") not in ("jira:issue_updated", "jira:issue_created"):
        return None
    if not isinstance(data.get("issue"), dict):
        raise BadDelivery("an issue event without an issue.")
    return read(data["issue"], connection)
