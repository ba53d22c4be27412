"""A stand-in for Alertmanager, Grafana, PagerDuty, Opsgenie and a generic sender: it posts
payloads over HTTP to the live server, signed the way each of them signs (written from their
documentation, not from Debrief's code), and can repeat a delivery the way a sender retries
when it did not hear the answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"


def fixture(name: str, part: str | None = None) -> dict:
    """A payload of tests/fixtures/alerts/<name>.json, each of which names its documentation."""
    document = json.loads((FIXTURES / f"{name}.json").read_text())
    assert document["source"].startswith(("http", "Debrief")), name
    return document["payloads"][part] if part else document["payload"]


class Sender:
    def __init__(self, url: str, kind: str, secret: str, *, username: str = "", hmac_mode=False):
        self.url, self.kind, self.secret = url, kind, secret
        self.username, self.hmac_mode = username, hmac_mode
        self.answers: list[tuple[int, dict]] = []

    def sign(self, body: bytes) -> dict[str, str]:
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if self.kind in ("alertmanager", "grafana") and not self.hmac_mode:
            if self.username:
                pair = base64.b64encode(f"{self.username}:{self.secret}".encode()).decode()
                return {"Authorization": f"Basic {pair}"}
            return {"Authorization": f"Bearer {self.secret}"}
        if self.kind == "grafana":
            stamp = str(int(time.time()))
            signed = hmac.new(self.secret.encode(), f"{stamp}:".encode() + body, hashlib.sha256)
            return {
                "X-Grafana-Alerting-Signature": signed.hexdigest(),
                "X-Grafana-Alerting-Timestamp": stamp,
            }
        if self.kind == "pagerduty":
            # A rotated-out secret's signature comes first, as during a rotation.
            return {
                "X-PagerDuty-Signature": f"v1={'0' * 64},v1={digest}",
                "X-Webhook-Id": "debrief-test-delivery",
                "User-Agent": "PagerDuty-Webhook/V3.0",
            }
        if self.kind == "opsgenie":
            return {"X-Debrief-Token": self.secret}
        return {"X-Debrief-Signature": f"sha256={digest}"}

    def post(self, payload: dict | bytes, headers: dict[str, str] | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", **self.sign(body)}
        if headers is not None:
            sent = {"Content-Type": "application/json", **headers}
        request = urllib.request.Request(self.url, data=body, headers=sent, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            answer = error.code, json.loads(raw) if raw.startswith(b"{") else {"raw": raw}
        self.answers.append(answer)
        return answer

    def deliver(self, *payloads: dict, retries: int = 0):
        """Each payload in the order given, each sent 1 + `retries` times; the last answers."""
        for payload in payloads:
            for _ in range(1 + retries):
                answer = self.post(payload)
                assert answer[0] == 200, answer
        return self.answers[-1]
