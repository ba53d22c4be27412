from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

from config import delivery


class TrackerError(Exception):
    """The tracker refused, failed or could not be reached; the message says which."""


class BadDelivery(Exception):
    """A webhook delivery that is not about an issue Debrief can read (answered 400)."""


@dataclass(frozen=True)
class Issue:
    key: str
    url: str
    closed: bool
    state: str
    updated_at: datetime
    assignee: str | None = None  # the tracker's login or account name
    due_date: date | None = None


def call(method: str, url: str, *, headers: dict[str, str], payload=None):
    """One API call through config.delivery; the answer's JSON, or TrackerError."""
    body = json.dumps(payload).encode() if payload is not None else None
    headers = {"User-Agent": "Debrief", "Accept": "application/json", **headers}
    if body is not None:
        headers["Content-Type"] = "application/json"
    timeout, limit = settings.TRACKER_TIMEOUT, settings.TRACKER_MAX_ANSWER_BYTES
    try:
        answer = delivery.request(method, url, body, headers, timeout, limit=limit)
        data = answer.json()
    except delivery.DeliveryError as error:
        raise TrackerError(str(error)) from None
    if not answer.ok:
        message = data.get("message") if isinstance(data, dict) else None
        raise TrackerError(f"HTTP {answer.status}: {message or answer.reason}")
    return data


def parse_time(value: str) -> datetime:
    try:
        # ISO 8601; GitLab's webhooks also write "2026-03-02 09:00:00 UTC".
        return datetime.fromisoformat(value.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise BadDelivery(f"not a time: {value!r}") from None


def plain_number(reference: str) -> str | None:
    """`42` or `#42` as the issue number `42`; None for anything else (an address)."""
    reference = reference.strip()
    return reference.lstrip("#") if re.fullmatch(r"#?\d+", reference) else None
