"""Posting to another server: the one way Debrief sends anything over HTTP.

Chat webhooks of reminder digests and review notices, and outbound webhook subscriptions,
all go through `post`; tracker APIs (GitHub, GitLab, Jira) through `request`, which also
returns the answer's headers and body. The URLs are typed by people, so the host is looked up once and the
connection goes to the address that was checked: were it looked up again to connect, a name
could answer with a public address for the check and an internal one a moment later (DNS
rebinding), and Debrief would POST inside the network it runs in. Redirects are not followed,
for the same reason.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from config import chat


class DeliveryError(Exception):
    """Nothing was delivered: the server could not be reached, or did not answer in time."""


class Refused(DeliveryError):
    """The address is not one Debrief posts to (not http(s), or an internal address)."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    latency_ms: int  # from connecting to the answer's status line and first bytes
    headers: dict[str, str]  # lower-cased names
    body: bytes  # at most the bytes asked for

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self):
        """The body as JSON; DeliveryError when it is not."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise DeliveryError(f"the answer (HTTP {self.status}) is not JSON.") from None


def allow_private() -> bool:
    """Whether internal addresses and plain http may be reached (a local test server).

    REMINDER_WEBHOOK_ALLOW_PRIVATE is the setting's first name, from when only reminders
    posted; it still counts.
    """
    return settings.OUTBOUND_ALLOW_PRIVATE or settings.REMINDER_WEBHOOK_ALLOW_PRIVATE


def post(url: str, body: bytes, *, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `url` and return the answer, whatever its status.

    Raises Refused for an address that is not posted to, and DeliveryError when no answer
    came (refused connection, TLS failure, timeout).
    """
    return _exchange("POST", url, body, headers, timeout, 1024)


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
    *,
    limit: int = 1024 * 1024,
) -> Answer:
    """Send one request and return the answer, whatever its status, with up to `limit` bytes.

    The same guards as `post`: http(s) only, internal addresses refused unless
    OUTBOUND_ALLOW_PRIVATE, the checked address pinned, no redirects followed.
    """
    answer = _exchange(method, url, body, headers or {}, timeout, limit + 1)
    if len(answer.body) > limit:
        raise DeliveryError(f"the answer is larger than {limit} bytes.")
    return answer


def _exchange(method, url, body, headers, timeout, read: int) -> Answer:
    """Send one request; the answer with up to `read` bytes of its body."""
    connection, target = _connect(url, timeout)
    started = time.monotonic()
    try:
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        content = answer.read(read)
    except TimeoutError:
        raise DeliveryError(f"timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()
    latency = round((time.monotonic() - started) * 1000)
    names = {name.lower(): value for name, value in answer.getheaders()}
    return Answer(answer.status, answer.reason, latency, names, content)


def _connect(url: str, timeout: float):
    """A connection pinned to the checked address of `url`'s host, and the request target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("the address is not an http(s) URL.")
    secure = parts.scheme == "https"
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError as exc:
        raise Refused(f"the address has a bad port: {exc}.") from None
    address = _address(parts.hostname, port)
    kind = _PinnedTLSConnection if secure else _PinnedConnection
    connection = kind(parts.hostname, port, address, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return connection, target


def post_chat(
    url: str, message: chat.Message, *, timeout: float, layout: str = "", agent: str = "Debrief"
) -> None:
    """POST `message` to a chat incoming webhook, laid out for the tool (`layout`, else as the
    URL's host suggests: `config.chat.detect`); raises unless it answers 2xx."""
    response = post(
        url,
        json.dumps(chat.render(message, layout, url)).encode(),
        headers={"Content-Type": "application/json", "User-Agent": agent},
        timeout=timeout,
    )
    if not response.ok:
        raise DeliveryError(f"HTTP Error {response.status}: {response.reason}")


def _address(host: str, port: int) -> str:
    """The address to connect to; refused when the host has an internal one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryError(f"the host {host} could not be looked up: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not allow_private():
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise Refused(f"the host resolves to the internal address {address}.")
    return addresses[0]


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header keeps the name."""

    def __init__(self, host: str, port: int, address: str, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLSConnection(_PinnedConnection):
    """The same over TLS: the certificate is checked against the name, which is also the SNI."""

    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)
