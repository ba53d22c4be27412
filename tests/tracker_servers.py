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
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "trackers"


def fixture(name: str, part: str) -> dict:
    document = json.loads((FIXTURES / f"{name}.json").read_text())
    assert document["source"].startswith("http"), name
    return copy.deepcopy(document["payloads"][part])


def stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


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


@dataclass
class FakeGitHub:
    """GitHub's issues API (create, get, update) for one repository, and its `issues` events."""

    project: str = "acme/web"
    token: str = "ghp-test-token"
    secret: str = "github-hook-secret"
    issues: dict[int, dict] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, data) -> None:
                body = json.dumps(data).encode()
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
                    if self.headers.get("Authorization") != f"Bearer {fake.token}":
                        return self._answer(401, {"message": "Bad credentials"})
                    status, data = fake.route(self.command, self.path, payload or {})
                self._answer(status, data)

            do_GET = do_POST = do_PATCH = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

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

    def calls(self, method: str) -> list[Recorded]:
        return [request for request in self.requests if request.method == method]
