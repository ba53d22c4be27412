"""Alert intake: the senders that may open draft postmortems, and what each has told us."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def default_severity_map() -> dict[str, int]:
    """Alertmanager/Grafana `severity` labels, PagerDuty and Opsgenie priorities and
    PagerDuty urgencies, each to a SEV (1 critical … 4 no customer impact)."""
    return {
        **dict.fromkeys(["critical", "page", "P1"], 1),
        **dict.fromkeys(["error", "high", "P2"], 2),
        **dict.fromkeys(["warning", "P3"], 3),
        **dict.fromkeys(["low", "info", "P4", "P5"], 4),
    }


class AlertSource(models.Model):
    """A monitoring or paging system that posts its alerts to /alerts/<slug>/."""

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        PAGERDUTY = "pagerduty", "PagerDuty (v3 webhooks)"
        OPSGENIE = "opsgenie", "Opsgenie"
        GRAFANA = "grafana", "Grafana alerting"
        GENERIC = "generic", "Generic JSON"

    # The header each kind is checked with when `header` is left blank.
    DEFAULT_HEADERS = {
        Kind.OPSGENIE: "X-Debrief-Token",
        Kind.GRAFANA: "X-Grafana-Alerting-Signature",
        Kind.GENERIC: "X-Debrief-Signature",
    }

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    slug = models.SlugField(
        unique=True, help_text="The end of its address: /alerts/<slug>/ on this site."
    )
    enabled = models.BooleanField(default=True)
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        help_text="Alertmanager and Grafana: the bearer token (or the basic-auth password when "
        "a user name is set below). PagerDuty: the subscription's signing secret. Opsgenie: "
        "the value of the custom header. Grafana HMAC and generic JSON: the HMAC-SHA256 key.",
    )
    username = models.CharField(
        "basic-auth user name",
        max_length=100,
        blank=True,
        help_text="Alertmanager and Grafana only: expect HTTP basic auth with this user name "
        "and the secret as password, instead of a bearer token.",
    )
    header = models.CharField(
        max_length=100,
        blank=True,
        help_text="Opsgenie: the custom header carrying the secret (default X-Debrief-Token). "
        "Grafana: the HMAC signature header (default X-Grafana-Alerting-Signature). Generic: "
        "the signature header, sha256=<hex> (default X-Debrief-Signature).",
    )
    severity_label = models.CharField(
        max_length=100,
        default="severity",
        help_text="Alertmanager, Grafana and generic: the label whose value is looked up in "
        "the severity map. PagerDuty uses the incident's priority, else its urgency; Opsgenie "
        "the alert's priority.",
    )
    severity_map = models.JSONField(
        default=default_severity_map,
        blank=True,
        help_text='Label value or priority → SEV number, e.g. {"critical": 1, "P2": 2}. '
        "Case does not matter; anything not listed is a SEV3.",
    )
    service_label = models.CharField(
        max_length=100,
        default="service",
        help_text="The label (Opsgenie: detail or tag prefix “service:”) naming affected "
        "services; existing services are matched by name. PagerDuty uses its service's name.",
    )
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Owns the drafts it opens. Blank: the first admin.",
    )
    link_base = models.URLField(
        blank=True,
        help_text="Opsgenie only: your account's address, e.g. https://acme.app.opsgenie.com, "
        "so timeline events link to the alert.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return reverse("alerts:receive", args=[self.slug])

    def clean(self) -> None:
        self.severity_map = self.severity_map or {}
        if not isinstance(self.severity_map, dict) or not all(
            isinstance(sev, int) and 1 <= sev <= 4 for sev in self.severity_map.values()
        ):
            raise ValidationError(
                {"severity_map": 'Write label values and SEV numbers 1 to 4: {"critical": 1}.'}
            )

    @property
    def intake_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def signature_header(self) -> str:
        return self.header or self.DEFAULT_HEADERS.get(self.kind, "")

    def severity_for(self, values: list[str]) -> int | None:
        """The most severe SEV any of `values` maps to, or None when none is mapped."""
        mapping = {str(k).lower(): v for k, v in (self.severity_map or {}).items()}
        found = [mapping[v.lower()] for v in values if v and v.lower() in mapping]
        valid = [int(sev) for sev in found if str(sev).isdigit() and 1 <= int(sev) <= 4]
        return min(valid) if valid else None


class AlertGroup(models.Model):
    """One incident of a source (its group or incident key) and the draft postmortem it opened."""

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="groups")
    # A SHA-256 of the sender's key: Alertmanager group keys are long and unbounded.
    key_hash = models.CharField(max_length=64)
    group_key = models.TextField()
    postmortem = models.ForeignKey(
        "Postmortem", on_delete=models.CASCADE, related_name="alert_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key_hash"], name="one_group_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}: {self.group_key[:80]}"


class AlertReceipt(models.Model):
    """An event of a group already on the timeline: a redelivery of it adds nothing.

    Kept when its timeline event is deleted by a person, so a retry does not bring it back.
    """

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="receipts")
    key_hash = models.CharField(max_length=64)
    key = models.TextField()
    event = models.ForeignKey(
        "TimelineEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "key_hash"], name="one_receipt_per_key")
        ]

    def __str__(self) -> str:
        return self.key[:80]
