"""Outbound webhooks: a URL subscribed to events, and each event's delivery to it."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from config.chat import Layout
from config.events import EVENTS


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


class Subscription(models.Model):
    class Format(models.TextChoices):
        JSON = "json", "JSON, signed"
        SLACK = Layout.SLACK.value, "Slack message (Block Kit)"
        TEAMS = Layout.TEAMS.value, "Microsoft Teams message (Adaptive Card)"
        MATTERMOST = Layout.MATTERMOST.value, "Mattermost message (attachments)"

    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event names it receives.")
    # Kept as written, not hashed: signing needs it, so a hash would protect nothing.
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    format = models.CharField(
        max_length=10,
        choices=Format.choices,
        default=Format.JSON,
        help_text=(
            "JSON for your own server; a chat layout to post each event as a message to a "
            "Slack, Microsoft Teams or Mattermost incoming webhook."
        ),
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    def event_labels(self) -> list[str]:
        return [name for name in EVENTS if name in self.events]


class Delivery(models.Model):
    """One event for one subscription, tried until it is answered 2xx or the retries run out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField(help_text="The body sent, as it was when the event happened.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["subscription", "-created_at"]),
            # The retry sweep's query: pending deliveries by their next attempt.
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription}"


class Attempt(models.Model):
    """One POST of a delivery: automatic, or a person's Redeliver."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    response_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)
    redelivery = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="one_attempt_per_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
