"""A version of a published postmortem to share outside the company: redacted, reviewed,
then served at a secret link until revoked."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

# The parts of a postmortem that can be left out of the outside version: (key, heading).
OUTSIDE_SECTIONS = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("timeline", "Timeline"),
    ("factors", "Contributing factors"),
    ("lessons", "Lessons"),
    ("action_items", "Action items"),
]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ExternalVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft: not shared yet"
        RELEASED = "released", "Released"
        REVOKED = "revoked", "Revoked"

    postmortem = models.ForeignKey(
        "Postmortem", on_delete=models.CASCADE, related_name="external_versions"
    )
    removed_sections = models.JSONField(default=list, blank=True)
    # The redacted text, made when the version is (re)built: what was reviewed is what is served.
    content = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    # Only a hash of the link's secret is kept: a leaked database opens no shared page.
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Unique, and so indexed for the lookup by link; drafts have no link yet.
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~models.Q(token_hash=""),
                name="outside_version_link_unique",
            )
        ]

    def __str__(self) -> str:
        return f"Outside version #{self.pk} of {self.postmortem.reference}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("postmortems:outside_preview", args=[self.postmortem_id, self.pk])

    def release(self, *, by) -> str:
        """Release it; the secret link's token, which is shown once and never stored."""
        token = secrets.token_urlsafe(32)
        self.state, self.token_hash = self.State.RELEASED, token_hash(token)
        self.released_by, self.released_at = by, timezone.now()
        self.save(update_fields=["state", "token_hash", "released_by", "released_at"])
        return token

    def revoke(self) -> None:
        self.state, self.revoked_at = self.State.REVOKED, timezone.now()
        self.save(update_fields=["state", "revoked_at"])
