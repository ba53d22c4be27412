from django.conf import settings
from django.db import models


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
