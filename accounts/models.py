"""Personal access tokens for the API: a person's scripts act as them, within a scope."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

# Recognisable in logs and by secret scanners; the rest is 256 bits from the OS.
TOKEN_PREFIX = "dbf_"


def token_digest(secret: str) -> str:
    """What is stored of a token: its SHA-256. A high-entropy secret needs no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read: GET only"
        WRITE = "write", "Write: read, create and change"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “incident bot”.")
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, to tell tokens apart on the page: not enough to use.
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record a use; at most once a minute, so a busy script does not write on every call."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= 60:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
