"""Secrets kept in the database (tracker tokens) are encrypted with keys from the environment.

DEBRIEF_FIELD_KEYS holds one or more Fernet keys, comma-separated, newest first: values are
encrypted with the first and read with any, so a key can be rotated in by putting it first,
running `manage.py reencrypt_secrets`, then dropping the old one.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.DEBRIEF_FIELD_KEYS.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "Set DEBRIEF_FIELD_KEYS (a Fernet key) before saving tracker credentials."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "DEBRIEF_FIELD_KEYS holds a key that is not a Fernet key (32 url-safe base64 bytes)."
        ) from None


def keys_problem() -> str:
    """Why secrets can't be encrypted now, for a form to say; empty when they can."""
    try:
        _fernet()
    except ImproperlyConfigured as error:
        return str(error)
    return ""


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        return value
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be read with DEBRIEF_FIELD_KEYS: keep the old key listed."
        ) from None


class EncryptedTextField(models.TextField):
    """A text column that holds only ciphertext; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
