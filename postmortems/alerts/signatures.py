"""Whether a delivery comes from the source it claims: each sender proves it its own way."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from postmortems.models import AlertSource

Kind = AlertSource.Kind


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _authorization(source: AlertSource, headers: Mapping[str, str]) -> bool:
    """Alertmanager's `http_config` and Grafana's contact point: a bearer token (any scheme
    name, as `authorization.type` allows) or, with a user name set, basic auth."""
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    if source.username:
        if scheme.lower() != "basic":
            return False
        try:
            pair = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return _same(pair, f"{source.username}:{source.secret}")
    return bool(scheme) and _same(credentials.strip(), source.secret)


def _grafana_hmac(source: AlertSource, headers: Mapping[str, str], body: bytes) -> bool:
    """Grafana's HMAC signature: hex HMAC-SHA256 of the body, or of "<timestamp>:<body>" when
    it also sends a timestamp header."""
    given = headers.get(source.signature_header, "")
    if not given:
        return False
    timestamp = headers.get("X-Grafana-Alerting-Timestamp", "")
    message = f"{timestamp}:".encode() + body if timestamp else body
    return _same(given.strip().lower(), hmac_hex(source.secret, message))


def _pagerduty(source: AlertSource, headers: Mapping[str, str], body: bytes) -> bool:
    """`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`: several while a secret is being rotated."""
    expected = hmac_hex(source.secret, body)
    signatures = headers.get("X-PagerDuty-Signature", "").split(",")
    return any(_same(s.strip(), f"v1={expected}") for s in signatures)


def _generic(source: AlertSource, headers: Mapping[str, str], body: bytes) -> bool:
    given = headers.get(source.signature_header, "").strip()
    return _same(given, f"sha256={hmac_hex(source.secret, body)}")


def verify(source: AlertSource, headers: Mapping[str, str], body: bytes) -> bool:
    if not source.secret:
        return False
    if source.kind == Kind.ALERTMANAGER:
        return _authorization(source, headers)
    if source.kind == Kind.GRAFANA:
        return _authorization(source, headers) or _grafana_hmac(source, headers, body)
    if source.kind == Kind.PAGERDUTY:
        return _pagerduty(source, headers, body)
    if source.kind == Kind.OPSGENIE:
        return _same(headers.get(source.signature_header, "").strip(), source.secret)
    return _generic(source, headers, body)
