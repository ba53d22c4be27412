from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone


class Priority(models.TextChoices):
    P1 = "P1", "P1 – urgent"
    P2 = "P2", "P2 – important"
    P3 = "P3", "P3 – nice to have"


class Kind(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    DETECT = "detect", "Detect"
    MITIGATE = "mitigate", "Mitigate"
    PROCESS = "process", "Process"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED)
CLOSED_STATUSES = (Status.DONE, Status.WONT_DO)
STATUSES_NEEDING_REASON = (Status.BLOCKED, Status.WONT_DO)


def default_due_date(priority: str, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today + timedelta(days=settings.ACTION_ITEM_DUE_DAYS[priority])


class ActionItemQuerySet(models.QuerySet):
    def open(self) -> ActionItemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: date) -> ActionItemQuerySet:
        return self.open().filter(due_date__lt=today)

    def due_soon(self, today: date, days: int) -> ActionItemQuerySet:
        return self.open().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))


class ActionItem(models.Model):
    postmortem = models.ForeignKey(
        "postmortems.Postmortem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    due_date = models.DateField()
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P2)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PREVENT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(blank=True, help_text="Why the item is blocked or won't be done.")
    tracker_url = models.URLField("external tracker link", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["owner", "status", "due_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False) | models.Q(status__in=CLOSED_STATUSES),
                name="action_item_open_has_owner",
                violation_error_message="An open action item needs an owner.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=STATUSES_NEEDING_REASON) | ~models.Q(reason=""),
                name="action_item_blocked_or_dropped_has_reason",
                violation_error_message="Say why the item is blocked or won't be done.",
            ),
            models.CheckConstraint(
                condition=models.Q(status=Status.DONE, completed_at__isnull=False)
                | (~models.Q(status=Status.DONE) & models.Q(completed_at__isnull=True)),
                name="action_item_completed_at_iff_done",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("actions:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()

    def set_status(self, status: str, *, by, note: str = "", reason: str = "") -> None:
        """Move to `status`, keeping completed_at and reason consistent, and record the change."""
        previous = self.status
        if status == previous and not reason:
            return
        self.status = status
        if status in STATUSES_NEEDING_REASON:
            self.reason = reason or self.reason
        elif reason:
            self.reason = reason
        self.completed_at = timezone.now() if status == Status.DONE else None
        with transaction.atomic():
            self.save(update_fields=["status", "reason", "completed_at", "updated_at"])
            self.changes.create(
                changed_by=by, from_status=previous, to_status=status, note=note or reason
            )

    def complete(self, *, by, note: str = "") -> None:
        self.set_status(Status.DONE, by=by, note=note)


class StatusChange(models.Model):
    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
