from __future__ import annotations

import statistics
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from config.events import announce
from config.fields import person_name


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
# The kinds whose fix is meant to stop or catch the incident again: their proof is chased.
KINDS_TO_VERIFY = (Kind.PREVENT, Kind.DETECT)


class EvidenceKind(models.TextChoices):
    LINK = "link", "Link"
    NOTE = "note", "Note"
    GAME_DAY = "game_day", "Game day"
    TEST = "test", "Test"


def default_due_date(priority: str, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today + timedelta(days=settings.ACTION_ITEM_DUE_DAYS[priority])


VERIFICATION_FIELDS = ("verified_at", "verified_by", "evidence_kind", "evidence")


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActionItemQuerySet:
        """Items one may see: one's own, and those of postmortems one may read."""
        if user.is_superuser:
            return self
        from postmortems.models import Postmortem

        # The restricted postmortems one may not read, fetched now rather than the readable ones
        # as a subquery: the queries over the items then start from the filters' indexes, and
        # skip the condition altogether when nothing is hidden, as on most sites.
        hidden = list(Postmortem.objects.hidden_from(user).values_list("pk", flat=True))
        return self.exclude(models.Q(postmortem__in=hidden) & ~models.Q(owner=user))

    def open(self) -> ActionItemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: date) -> ActionItemQuerySet:
        return self.open().filter(due_date__lt=today)

    def due_soon(self, today: date, days: int) -> ActionItemQuerySet:
        return self.open().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))

    def counts(self, today: date) -> dict[str, int]:
        """How many items are in each state, in one query."""
        done = models.Q(status=Status.DONE)
        on_time = models.Q(completed_at__date__lte=models.F("due_date"))
        return self.order_by().aggregate(
            total=models.Count("pk"),
            open=models.Count("pk", filter=models.Q(status__in=OPEN_STATUSES)),
            overdue=models.Count(
                "pk", filter=models.Q(status__in=OPEN_STATUSES, due_date__lt=today)
            ),
            done=models.Count("pk", filter=done),
            done_on_time=models.Count("pk", filter=done & on_time),
            wont_do=models.Count("pk", filter=models.Q(status=Status.WONT_DO)),
        )

    def median_days_to_close(self, *, done: int) -> float | None:
        """Median days from creation to completion of the done items, given how many there are.

        The database sorts the durations and returns the middle one or two, whatever `done` is.
        """
        if not done:
            return None
        middle = (
            self.filter(status=Status.DONE)
            .annotate(time_to_close=models.F("completed_at") - models.F("created_at"))
            .order_by("time_to_close")
            .values_list("time_to_close", flat=True)[(done - 1) // 2 : done // 2 + 1]
        )
        return statistics.fmean(t.total_seconds() / 86400 for t in middle) if middle else None


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
    # The due date whose passing was announced (the `action_item.overdue` event), so that an
    # item is announced once each time it becomes overdue, not at every reminder sweep.
    overdue_announced_for = models.DateField(null=True, blank=True, editable=False)
    # Proof that the fix worked, given by someone other than the owner once the item is done.
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    evidence_kind = models.CharField(
        max_length=10, choices=EvidenceKind.choices, blank=True, editable=False
    )
    evidence = models.TextField(blank=True, editable=False)

    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at", "overdue_announced_for"])

    # For templates, which cannot reach the Status class.
    STATUS_CHOICES = Status.choices
    REASON_STATUSES = " ".join(STATUSES_NEEDING_REASON)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            # With the moments the metrics' open overdue chart reads, from the index alone.
            models.Index(
                fields=["status", "due_date"],
                include=["created_at", "updated_at"],
                name="action_item_status_due",
            ),
            models.Index(fields=["owner", "status", "due_date"]),
            # The list's filters and sorts: priority (with status and due date), and the
            # order by creation.
            models.Index(fields=["priority", "status", "due_date"]),
            models.Index(fields=["created_at"]),
            # The latest change, which the metrics' cache key is made of.
            models.Index(fields=["updated_at"]),
            # The metrics' items completed in a period, how long each took and whether after
            # their due date: read from the index alone rather than from every item.
            models.Index(
                fields=["completed_at", "created_at", "due_date"], name="action_item_completed"
            ),
            # The list's default order, by due date; it also holds every column the metrics'
            # action item charts read, so they scan it rather than the table's wide rows.
            models.Index(
                fields=[
                    "due_date",
                    "created_at",
                    "completed_at",
                    "status",
                    "updated_at",
                    "postmortem",
                    "owner",
                ],
                name="action_item_due_metrics",
            ),
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
                condition=models.Q(verified_at__isnull=True) | models.Q(status=Status.DONE),
                name="action_item_verified_only_when_done",
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

    @property
    def owner_name(self) -> str:
        if self.owner is None:
            return "no owner"
        return person_name(self.owner)

    def can_change(self, user, *, editor: bool | None = None) -> bool:
        """Its owner, its creator, the postmortem's editors and superusers may change the item.

        `editor` is whether `user` edits the postmortem, when the caller already knows it
        (a page of items of one postmortem asks once, not once per item).
        """
        if not user.is_authenticated:
            return False
        if user.is_superuser or user.pk in (self.owner_id, self.created_by_id):
            return True
        if self.postmortem_id is None:
            return False
        return editor if editor is not None else self.postmortem.can_edit(user)

    def set_status(self, status: str, *, by, note: str = "", reason: str = "") -> None:
        """Move to `status`, keeping completed_at and reason consistent, and record the change."""
        reason = reason.strip()
        if status in STATUSES_NEEDING_REASON and not reason:
            raise ValidationError({"reason": "Say why the item is blocked or won't be done."})
        if status in OPEN_STATUSES and self.owner_id is None:
            raise ValidationError({"status": "Give the item an owner before reopening it."})
        with transaction.atomic():
            # The recorded "from" is what the database holds, not what this copy last saw.
            previous = (
                type(self)
                .objects.select_for_update()
                .values_list("status", flat=True)
                .get(pk=self.pk)
            )
            if status == previous and (status not in STATUSES_NEEDING_REASON or not reason):
                self.status = previous
                return
            self.status = status
            # The reason belongs to the current status; the history keeps earlier ones.
            self.reason = reason if status in STATUSES_NEEDING_REASON else ""
            unverified = ""
            if status != Status.DONE:
                self.completed_at = None
                if self.verified_at is not None:
                    # A reopened fix is no longer proven; the history keeps the old evidence.
                    unverified = "Verification cleared: the item was reopened."
                    self._clear_verification()
            elif previous != Status.DONE:
                self.completed_at = timezone.now()
            self.save(
                update_fields=[
                    "status",
                    "reason",
                    "completed_at",
                    "updated_at",
                    *VERIFICATION_FIELDS,
                ]
            )
            self.changes.create(
                changed_by=by,
                from_status=previous,
                to_status=status,
                note="\n".join(filter(None, [note or reason, unverified])),
            )
            announce("action_item.status_changed", self, from_status=previous, to_status=status)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def _clear_verification(self) -> None:
        self.verified_at, self.verified_by, self.evidence_kind, self.evidence = None, None, "", ""

    def verify(self, *, by, kind: str, evidence: str) -> None:
        """Record that the done fix worked, with the evidence, by someone other than its owner.

        Who may verify at all (the postmortem's editors) is access.may_verify_item's to say.
        """
        evidence = evidence.strip()
        if self.status != Status.DONE:
            raise ValidationError("Only a done item can be verified: mark it done first.")
        if by.pk == self.owner_id:
            raise ValidationError(
                "The item's owner cannot verify it: someone else checks that the fix worked."
            )
        if kind not in EvidenceKind.values:
            raise ValidationError({"evidence_kind": "Choose link, note, game day or test."})
        if not evidence:
            raise ValidationError({"evidence": "Give the evidence: a link or a few words."})
        if kind == EvidenceKind.LINK:
            URLValidator(schemes=["http", "https"], message="Give a web address (https://…).")(
                evidence
            )
        self.verified_at, self.verified_by = timezone.now(), by
        self.evidence_kind, self.evidence = kind, evidence
        with transaction.atomic():
            self.save(update_fields=[*VERIFICATION_FIELDS, "updated_at"])
            self.note_change(
                by=by, note=f"Verified ({EvidenceKind(kind).label.lower()}): {evidence}"
            )

    def complete(self, *, by, note: str = "") -> None:
        self.set_status(Status.DONE, by=by, note=note)

    def reopen(self, *, by, note: str = "") -> None:
        self.set_status(Status.OPEN, by=by, note=note)

    def reassign(self, owner, *, by) -> None:
        if owner.pk != self.owner_id:
            new = person_name(owner)
            self._change("owner", owner, by=by, note=f"Owner: {self.owner_name} → {new}")

    def move_due_date(self, due_date: date, *, by) -> None:
        if due_date != self.due_date:
            note = f"Due date: {self.due_date:%Y-%m-%d} → {due_date:%Y-%m-%d}"
            self._change("due_date", due_date, by=by, note=note)

    def _change(self, field: str, value, *, by, note: str) -> None:
        """Set one field and record the change, with the note, in the history."""
        setattr(self, field, value)
        with transaction.atomic():
            self.save(update_fields=[field, "updated_at"])
            self.note_change(by=by, note=note)

    def note_change(self, *, by, note: str) -> StatusChange:
        """Record an edit that kept the status (a new owner, a moved due date) in the history."""
        return self.changes.create(
            changed_by=by, from_status=self.status, to_status=self.status, note=note
        )


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

    @property
    def is_status_change(self) -> bool:
        return self.from_status != self.to_status
