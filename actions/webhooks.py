"""Posting a digest to a chat webhook, a URL that any user may type.

The host is looked up once, and the connection goes to the address that was checked: were it
looked up again to connect, a name could answer with a public address for the check and an
internal one a moment later (DNS rebinding), and reminders would POST inside the network the
site runs in.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings


class Refused(Exception):
    pass


def post(url: str, text: str) -> None:
    """POST {"text": …} to `url`; raises unless it answers 2xx (a redirect is not followed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("the webhook is not an http(s) address.")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    connection = _connection(parts.hostname, port, _address(parts.hostname, port), secure=secure)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            target,
            body=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "Debrief reminders"},
        )
        response = connection.getresponse()
        response.read(1024)
        if not 200 <= response.status < 300:
            raise http.client.HTTPException(f"HTTP Error {response.status}: {response.reason}")
    finally:
        connection.close()


def _address(host: str, port: int) -> str:
    """The address to connect to; refused when the host has an internal one."""
    addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if not settings.REMINDER_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise Refused(f"the webhook's host resolves to the internal address {address}.")
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


def _connection(host: str, port: int, address: str, *, secure: bool) -> _PinnedConnection:
    kind = _PinnedTLSConnection if secure else _PinnedConnection
    return kind(host, port, address, timeout=settings.REMINDER_WEBHOOK_TIMEOUT)
