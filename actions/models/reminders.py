"""What the reminder sweep keeps: each person's settings, each digest sent and what it
listed, and each run of the sweep."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from actions.models.items import ActionItem
from config.chat import Layout
from postmortems.models import default_time_zone, validate_time_zone


def default_reminder_hour() -> int:
    return settings.REMINDER_DEFAULT_HOUR


class ReminderPreference(models.Model):
    """When a person gets their daily digest, in their own time zone, and where."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    hour = models.PositiveSmallIntegerField(
        "send at",
        default=default_reminder_hour,
        validators=[MaxValueValidator(23)],
        help_text="Your local hour; the digest goes out within the hour after it.",
    )
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    opted_out = models.BooleanField(
        "no reminders",
        default=False,
        help_text="Stop the daily digest, escalations included. Your items stay on My items.",
    )
    webhook_url = models.URLField(
        "chat webhook",
        max_length=500,
        blank=True,
        help_text=(
            "Optional: a Slack, Microsoft Teams or Mattermost incoming-webhook URL that gets "
            "the same digest and your review notices."
        ),
    )
    chat_layout = models.CharField(
        "message layout",
        max_length=10,
        choices=Layout.choices,
        default=Layout.AUTO,
        blank=True,
        help_text="How the chat message is laid out; by default, as the webhook's address suggests.",
    )
    anniversaries = models.BooleanField(
        "this week in earlier years",
        default=False,
        help_text="Add the postmortems of your teams' services from this week in earlier years.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="reminder_hour_0_to_23")
        ]

    def __str__(self) -> str:
        return f"Reminders of {self.user}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Reminder(models.Model):
    """One person's digest for one of their local days.

    The row is the claim: a sweep inserts it (unique per person and day) before sending, so two
    sweeps never both send. `claim` names the sweep that holds it; a pending row whose sweep
    stopped writing its heartbeat (a killed worker) is taken over by a later sweep.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    day = models.DateField(help_text="The recipient's local date.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    claim = models.CharField(max_length=32, db_index=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    webhook_status = models.CharField(
        max_length=8, choices=Status.choices, blank=True, help_text="Empty: no webhook."
    )
    webhook_error = models.TextField(blank=True)
    items = models.ManyToManyField(ActionItem, through="ReminderItem", related_name="reminders")
    postmortems = models.ManyToManyField(
        "postmortems.Postmortem",
        blank=True,
        related_name="+",
        help_text="Drafts listed as past their review deadline.",
    )

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="one_reminder_a_day")
        ]
        indexes = [models.Index(fields=["day", "status"])]

    def __str__(self) -> str:
        return f"Reminder to {self.recipient} for {self.day:%Y-%m-%d}"


class ReminderItem(models.Model):
    """An action item a reminder listed, and in which section."""

    class Section(models.TextChoices):
        OVERDUE = "overdue", "overdue"
        DUE_SOON = "due_soon", "due soon"
        ESCALATED = "escalated", "escalated to the postmortem's owner"

    # No index of its own: the unique constraint's index starts with it.
    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminder_lines")
    section = models.CharField(max_length=10, choices=Section.choices)

    class Meta:
        ordering = ["-reminder__day", "-reminder_id"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "item"], name="item_once_per_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} ({self.section}) in {self.reminder_id}"


class ReminderSweep(models.Model):
    """One run of the reminder sweep; /healthz reports when the last one finished."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    as_of = models.DateTimeField(help_text="The moment the sweep computed digests for.")
    due = models.PositiveIntegerField(default=0)
    claimed = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(
        default=0, help_text="Digests another sweep still held when this one finished."
    )
    claim = models.CharField(
        max_length=32, blank=True, db_index=True, help_text="Marks the reminders it claimed."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Written every REMINDER_HEARTBEAT while it runs."
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Sweep at {self.started_at:%Y-%m-%d %H:%M}"

    @classmethod
    def live(cls, clock: datetime) -> models.QuerySet[ReminderSweep]:
        """Sweeps still running at `clock`: their claims are never taken over."""
        return cls.objects.filter(
            finished_at__isnull=True,
            heartbeat_at__gte=clock - settings.REMINDER_HEARTBEAT_TIMEOUT,
        )

    def beat(self) -> None:
        ReminderSweep.objects.filter(pk=self.pk).update(heartbeat_at=timezone.now())

    @classmethod
    def last_finished_at(cls) -> datetime | None:
        return (
            cls.objects.filter(finished_at__isnull=False)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
