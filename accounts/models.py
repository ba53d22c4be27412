"""A person's account: how they sign in (single sign-on), their API tokens, and the audit log."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class SsoIdentity(models.Model):
    """The person at the identity provider behind an account, and the groups it last gave them.

    Accounts are found by the provider's subject, which never changes, rather than by email;
    only the groups the provider gave are taken away when it stops giving them, so a membership
    set by hand stays.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list, blank=True)
    last_sign_in_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique")
        ]
        verbose_name_plural = "SSO identities"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class AuditEvent(models.Model):
    """Something that changed who may sign in or read what: kept AUDIT_RETENTION_DAYS."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        GROUPS = "groups", "Group membership changed"
        ROLE = "role", "Staff or admin changed"
        PERMISSIONS = "permissions", "Permissions changed"
        RESTRICTION = "restriction", "Postmortem restriction changed"
        READERS = "readers", "Postmortem readers changed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Who did it (None: the site itself, or someone not signed in); the name outlives the user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What it was about, in words: "anna", "PM-12".
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kind", "-at"], name="audit_kind_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.target}".strip()

    def details_shown(self) -> list[tuple[str, str]]:
        return [
            (key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
            for key, value in self.details.items()
        ]

    def as_json(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "actor": self.actor_name or None,
            "ip": self.ip,
            "target": self.target,
            "details": self.details,
        }


# Recognisable in logs and by secret scanners; the rest is 256 bits from the OS.
TOKEN_PREFIX = "dbf_"


def token_digest(secret: str) -> str:
    """What is stored of a token: its SHA-256. A high-entropy secret needs no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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
