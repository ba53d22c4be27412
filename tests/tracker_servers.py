"""Stand-ins for the trackers' REST APIs on loopback, written from their public documentation.

Each keeps issues in memory, records every request it is sent, and makes the webhook
deliveries the real service would send for a change, signed its way; a test hands them to
Debrief as they come, again (a retry) or in another order.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.urls import reverse

FIXTURES = Path(__file__).parent / "fixtures" / "trackers"


def fixture(name: str, part: str) -> dict:
    document = json.loads((FIXTURES / f"{name}.json").read_text())
    assert document["source"].startswith("http"), name
    return copy.deepcopy(document["payloads"][part])


def stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def later(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def connected(fake: FakeTracker, settings, *, name: str, kind: str) -> FakeTracker:
    """Start the stand-in and add a tracker connection to it (a key, loopback allowed)."""
    from cryptography.fernet import Fernet

    from actions.models import TrackerConnection

    settings.DEBRIEF_FIELD_KEYS = Fernet.generate_key().decode()
    settings.OUTBOUND_ALLOW_PRIVATE = True
    url = fake.start()
    fake.connection = TrackerConnection.objects.create(
        name=name,
        kind=kind,
        base_url=url,
        project=fake.project,
        token=fake.token,
        webhook_secret=fake.secret,
        labels="postmortem, follow-up",
    )
    return fake


def deliver(client, fake: FakeTracker, delivery: Delivery):
    """Hand a webhook delivery to Debrief as the tracker would post it."""
    url = reverse("trackers:webhook", args=[fake.connection.pk]) + delivery.query
    headers = {k: v for k, v in delivery.headers.items() if k != "Content-Type"}
    return client.post(url, delivery.body, content_type="application/json", headers=headers)


def linked_item(fake: FakeTracker, *, state: str | None = None, **fields):
    """An action item linked to a new issue of the stand-in."""
    from actions.trackers import services
    from tests.factories import ActionItemFactory

    item = ActionItemFactory(**fields)
    issue = fake.add(title=item.title, **({"state": state} if state else {}))
    key = str(issue.get("number") or issue.get("iid") or issue.get("key"))
    services.tracker_issue_link(item=item, connection=fake.connection, reference=key)
    item.refresh_from_db()
    return item, int(key.rsplit("-", 1)[-1])


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    query: str = ""  # what the webhook's URL adds, for a sender that cannot sign


@dataclass
class FakeTracker:
    """What every stand-in shares: the server, the issues, the requests it was sent."""

    project: str = "acme/web"
    token: str = "test-token"
    secret: str = "hook-secret"
    issues: dict[int, dict] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, data) -> None:
                body = b"" if data is None else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                payload = json.loads(raw) if raw else None
                with fake.lock:
                    fake.requests.append(
                        Recorded(self.command, self.path, dict(self.headers), payload)
                    )
                    if not fake.authorized(self.headers):
                        return self._answer(401, {"message": "Bad credentials"})
                    status, data = fake.route(self.command, self.path, payload or {})
                self._answer(status, data)

            do_GET = do_POST = do_PATCH = do_PUT = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str) -> list[Recorded]:
        return [request for request in self.requests if request.method == method]


@dataclass
class FakeGitHub(FakeTracker):
    """GitHub's issues API (create, get, update) for one repository, and its `issues` events."""

    token: str = "ghp-test-token"
    secret: str = "github-hook-secret"

    def authorized(self, headers) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}"

    def route(self, method: str, path: str, payload: dict):
        prefix = f"/repos/{self.project}/issues"
        if method == "POST" and path == prefix:
            if not payload.get("title"):
                return 422, {"message": "Validation Failed"}
            issue = self.add(title=payload["title"], body=payload.get("body", ""))
            issue["labels"] = [{"name": name} for name in payload.get("labels", [])]
            self._assign(issue, payload.get("assignees"))
            return 201, issue
        if path.startswith(prefix + "/") and path[len(prefix) + 1 :].isdigit():
            issue = self.issues.get(int(path[len(prefix) + 1 :]))
            if issue is None:
                return 404, {"message": "Not Found"}
            if method == "PATCH":
                if "state" in payload:
                    issue["state"] = payload["state"]
                    issue["closed_at"] = stamp() if payload["state"] == "closed" else None
                self._assign(issue, payload.get("assignees"))
                issue["updated_at"] = stamp()
            return 200, issue
        return 404, {"message": "Not Found"}

    def _assign(self, issue: dict, logins: list[str] | None) -> None:
        if logins is None:
            return
        people = [{"login": login, "type": "User"} for login in logins]
        issue["assignees"], issue["assignee"] = people, (people[0] if people else None)

    def add(self, *, title: str = "An issue", body: str = "", state: str = "open") -> dict:
        number = len(self.issues) + 1
        issue = fixture("github", "issue")
        issue.update(
            number=number,
            title=title,
            body=body,
            state=state,
            html_url=f"https://github.com/{self.project}/issues/{number}",
            url=f"https://api.github.com/repos/{self.project}/issues/{number}",
            created_at=stamp(),
            updated_at=stamp(),
        )
        self.issues[number] = issue
        return issue

    def change(
        self, number: int, *, at: datetime, state: str | None = None, assignee: str | None = None
    ) -> Delivery:
        """Someone changes the issue on GitHub at `at`; returns the webhook GitHub sends."""
        issue = self.issues[number]
        action = "edited"
        if state:
            issue["state"] = state
            action = "closed" if state == "closed" else "reopened"
        if assignee:
            self._assign(issue, [assignee])
            action = "assigned"
        issue["updated_at"] = stamp(at)
        return self.event(number, action)

    def event(self, number: int, action: str) -> Delivery:
        payload = fixture("github", "event")
        payload["action"] = action
        payload["issue"] = copy.deepcopy(self.issues[number])
        payload["repository"]["full_name"] = self.project
        return self.signed(json.dumps(payload).encode(), event="issues")

    def signed(self, body: bytes, *, event: str) -> Delivery:
        # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/test",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "4001",
            "X-Hub-Signature-256": f"sha256={digest}",
        }
        return Delivery(headers, body)


@dataclass
class FakeGitLab(FakeTracker):
    """GitLab's issues API (create, get, edit, user lookup) for one project, and Issue Hooks."""

    token: str = "glpat-test-token"
    secret: str = "gitlab-hook-secret"
    users: dict[str, int] = field(default_factory=lambda: {"ana": 12, "ben": 13})

    def authorized(self, headers) -> bool:
        return headers.get("PRIVATE-TOKEN") == self.token

    def route(self, method: str, path: str, payload: dict):
        prefix = "/api/v4/projects/" + self.project.replace("/", "%2F") + "/issues"
        if method == "GET" and path.startswith("/api/v4/users?username="):
            login = path.split("=", 1)[1]
            return 200, [
                {"id": self.users[login], "username": login}
            ] if login in self.users else []
        if method == "POST" and path == prefix:
            issue = self.add(title=payload["title"], body=payload.get("description", ""))
            issue["labels"] = [label for label in payload.get("labels", "").split(",") if label]
            self._assign(issue, payload.get("assignee_ids"))
            return 201, issue
        if path.startswith(prefix + "/") and path[len(prefix) + 1 :].isdigit():
            issue = self.issues.get(int(path[len(prefix) + 1 :]))
            if issue is None:
                return 404, {"message": "404 Not found"}
            if method == "PUT":
                event = payload.get("state_event")
                if event:
                    issue["state"] = "closed" if event == "close" else "opened"
                if "due_date" in payload:
                    issue["due_date"] = payload["due_date"]
                self._assign(issue, payload.get("assignee_ids"))
                issue["updated_at"] = stamp()
            return 200, issue
        return 404, {"message": "404 Not found"}

    def _assign(self, issue: dict, ids: list[int] | None) -> None:
        if ids is None:
            return
        logins = {number: login for login, number in self.users.items()}
        people = [{"id": number, "username": logins[number]} for number in ids]
        issue["assignees"], issue["assignee"] = people, (people[0] if people else None)

    def add(self, *, title: str = "An issue", body: str = "", state: str = "opened") -> dict:
        number = len(self.issues) + 1
        issue = fixture("gitlab", "issue")
        issue.update(
            iid=number,
            title=title,
            description=body,
            state=state,
            web_url=f"https://gitlab.example/{self.project}/-/issues/{number}",
            created_at=stamp(),
            updated_at=stamp(),
        )
        self.issues[number] = issue
        return issue

    def change(
        self,
        number: int,
        *,
        at: datetime,
        state: str | None = None,
        assignee: str | None = None,
        due_date: str | None = None,
    ) -> Delivery:
        """Someone changes the issue on GitLab at `at`; returns the Issue Hook GitLab sends."""
        issue = self.issues[number]
        action = "update"
        if state:
            issue["state"] = state
            action = "close" if state == "closed" else "reopen"
        if assignee:
            self._assign(issue, [self.users[assignee]])
        if due_date:
            issue["due_date"] = due_date
        issue["updated_at"] = stamp(at)
        return self.event(number, action)

    def event(self, number: int, action: str) -> Delivery:
        issue = self.issues[number]
        payload = fixture("gitlab", "event")
        when = datetime.fromisoformat(issue["updated_at"].replace("Z", "+00:00"))
        payload["object_attributes"].update(
            iid=number,
            title=issue["title"],
            state=issue["state"],
            action=action,
            updated_at=when.strftime("%Y-%m-%d %H:%M:%S UTC"),
            due_date=issue["due_date"],
            url=issue["web_url"],
        )
        payload["assignees"] = copy.deepcopy(issue["assignees"])
        return self.signed(json.dumps(payload).encode(), event="Issue Hook")

    def signed(self, body: bytes, *, event: str) -> Delivery:
        # GitLab sends the secret token itself, not a signature.
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitLab/18.0.0",
            "X-Gitlab-Event": event,
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "X-Gitlab-Token": self.secret,
        }
        return Delivery(headers, body)


@dataclass
class FakeJira(FakeTracker):
    """Jira's REST API v2 (create, get, edit, transitions) for one project, and its webhooks.

    `cloud` signs deliveries with X-Hub-Signature as Jira Cloud does; otherwise the secret
    goes in the webhook URL's query, as a Data Center webhook set up per the README sends it.
    """

    project: str = "OPS"
    token: str = "jira-pat"
    secret: str = "jira-hook-secret"
    cloud: bool = False

    def authorized(self, headers) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}"

    def route(self, method: str, path: str, payload: dict):
        api = "/rest/api/2/issue"
        if method == "POST" and path == api:
            fields = payload.get("fields", {})
            if fields.get("project", {}).get("key") != self.project:
                return 400, {"errorMessages": [], "errors": {"project": "project is required"}}
            issue = self.add(title=fields["summary"])
            issue["fields"]["labels"] = fields.get("labels", [])
            issue["fields"]["assignee"] = fields.get("assignee")
            return 201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]}
        match = re.fullmatch(rf"{api}/{self.project}-(\d+)(/transitions)?(\?.*)?", path)
        issue = self.issues.get(int(match.group(1))) if match else None
        if issue is None:
            return 404, {"errorMessages": ["Issue does not exist"], "errors": {}}
        if match.group(2) and method == "GET":
            return 200, fixture("jira", "transitions")
        if match.group(2) and method == "POST":
            offered = {t["id"]: t["to"] for t in fixture("jira", "transitions")["transitions"]}
            issue["fields"]["status"] = offered[payload["transition"]["id"]]
            issue["fields"]["updated"] = jira_time()
            return 204, None
        if method == "PUT":
            issue["fields"].update(payload.get("fields", {}))
            issue["fields"]["updated"] = jira_time()
            return 204, None
        return 200, issue

    def add(self, *, title: str = "An issue", state: str = "new") -> dict:
        number = len(self.issues) + 1
        issue = fixture("jira", "issue")
        issue.update(id=str(10000 + number), key=f"{self.project}-{number}")
        issue["self"] = f"https://acme.atlassian.example/rest/api/2/issue/{issue['id']}"
        issue["fields"].update(
            summary=title, status=fixture("jira", "statuses")[state], updated=jira_time()
        )
        self.issues[number] = issue
        return issue

    def change(
        self,
        number: int,
        *,
        at: datetime,
        state: str | None = None,
        assignee: str | None = None,
        due_date: str | None = None,
    ) -> Delivery:
        """Someone changes the issue in Jira at `at`; returns the webhook Jira sends."""
        fields = self.issues[number]["fields"]
        if state:
            fields["status"] = fixture("jira", "statuses")[state]
        if assignee:
            fields["assignee"] = {"name": assignee, "displayName": assignee.title()}
        if due_date:
            fields["duedate"] = due_date
        fields["updated"] = jira_time(at)
        return self.event(number)

    def event(self, number: int) -> Delivery:
        payload = fixture("jira", "event")
        payload["issue"] = copy.deepcopy(self.issues[number])
        return self.signed(json.dumps(payload).encode())

    def signed(self, body: bytes, *, event: str = "") -> Delivery:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Atlassian Webhook HTTP Client",
        }
        if self.cloud:
            digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
            headers["X-Atlassian-Webhook-Identifier"] = str(uuid.uuid4())
            return Delivery(headers, body)
        return Delivery(headers, body, f"?secret={self.secret}")


def jira_time(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
