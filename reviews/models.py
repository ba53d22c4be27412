from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from postmortems.models import Postmortem, Status

MENTION_RE = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


class ReviewerQuerySet(models.QuerySet):
    def approvals(self) -> ReviewerQuerySet:
        """Approvals that can count: approvals come from someone other than the owner."""
        return self.filter(verdict=Reviewer.Verdict.APPROVED).exclude(
            user=models.F("postmortem__owner")
        )

    def current_approvals(self) -> ReviewerQuerySet:
        """Approvals of the text as it is now: what publishing counts."""
        return self.approvals().filter(reviewed_version=models.F("postmortem__text_version"))

    def stale_approvals(self) -> ReviewerQuerySet:
        """Approvals of an earlier version of the text, which count again once renewed."""
        return self.approvals().exclude(reviewed_version=models.F("postmortem__text_version"))

    def waiting(self) -> ReviewerQuerySet:
        """Reviews owed on postmortems in review (no verdict yet, or one for an earlier text),
        with `submitted_at`, when the postmortem went into review."""
        submitted = Transition.objects.filter(
            postmortem=models.OuterRef("postmortem"), to_status=Status.IN_REVIEW
        ).order_by("-at")
        return (
            self.filter(postmortem__status=Status.IN_REVIEW)
            .filter(
                models.Q(verdict=Reviewer.Verdict.PENDING)
                | ~models.Q(reviewed_version=models.F("postmortem__text_version"))
            )
            .annotate(submitted_at=models.Subquery(submitted.values("at")[:1]))
        )


class Reviewer(models.Model):
    """A person the owner asked to review a postmortem, and where they stand on it."""

    class Verdict(models.TextChoices):
        PENDING = "pending", "Not reviewed yet"
        APPROVED = "approved", "Approved"
        CHANGES = "changes", "Changes requested"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices, default=Verdict.PENDING)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reviewed_version = models.PositiveIntegerField(
        default=1, help_text="The version of the postmortem's text the verdict was given to."
    )
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewerQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "user"], name="one_reviewer_row_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.postmortem.reference}: {self.get_verdict_display()}"

    def clean(self) -> None:
        if self.postmortem_id and self.user_id == self.postmortem.owner_id:
            raise ValidationError(
                {
                    "user": "The owner can't review their own postmortem: approvals come from "
                    "someone else."
                }
            )

    def decide(self, verdict: str, comment: str, *, version: int) -> None:
        """Record a verdict given to `version` of the text."""
        self.verdict, self.comment, self.reviewed_version = verdict, comment, version
        self.decided_at = timezone.now()
        self.save(update_fields=["verdict", "comment", "decided_at", "reviewed_version"])

    @property
    def is_stale(self) -> bool:
        """A verdict given to an earlier version of the text than the postmortem's now."""
        return (
            self.verdict != self.Verdict.PENDING
            and self.reviewed_version != self.postmortem.text_version
        )

    @property
    def counts(self) -> bool:
        """An approval that counts toward publishing."""
        return (
            self.verdict == self.Verdict.APPROVED
            and not self.is_stale
            and self.user_id != self.postmortem.owner_id
        )


class Comment(models.Model):
    """The discussion of a postmortem; verdicts and status changes appear in it too."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        APPROVED = "approved", "Approved"
        CHANGES = "changes", "Requested changes"
        STATUS = "status", "Status change"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author} on {self.postmortem.reference}"

    def get_absolute_url(self) -> str:
        return f"{self.postmortem.get_absolute_url()}#comment-{self.pk}"

    def mentioned_usernames(self) -> set[str]:
        return {name.rstrip(".").lower() for name in MENTION_RE.findall(self.body)}


class Transition(models.Model):
    """Every change of a postmortem's status: who, when, and why."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.postmortem.reference}: {self.from_status} → {self.to_status}"


class Meeting(models.Model):
    title = models.CharField(max_length=200, default="Postmortem review")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True, help_text="A room or a video link.")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_meetings"
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Attendance", related_name="review_meetings"
    )
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    action_items = models.ManyToManyField(
        "actions.ActionItem", blank=True, related_name="meetings", editable=False
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="The iCalendar SEQUENCE: raised by each change calendars must show."
    )

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.pk])

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def can_run(self, user) -> bool:
        return user.is_superuser or user.pk == self.facilitator_id

    @property
    def is_in_future(self) -> bool:
        return self.starts_at > timezone.now()

    @property
    def uid(self) -> str:
        """The iCalendar UID: the same for every invitation, update and cancellation."""
        return f"meeting-{self.pk}@debrief"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attended = models.BooleanField(null=True, help_text="Recorded during the meeting.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    decision = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "postmortem"], name="postmortem_once_per_agenda"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.postmortem}"


class Invitation(models.Model):
    """One calendar invitation, update or cancellation emailed to one person."""

    class Method(models.TextChoices):
        REQUEST = "REQUEST", "Invitation"
        CANCEL = "CANCEL", "Cancellation"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    method = models.CharField(max_length=10, choices=Method.choices)
    sequence = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} of {self.meeting} to {self.email}"

    @property
    def kind(self) -> str:
        if self.method == self.Method.CANCEL:
            return "Cancellation"
        return "Update" if self.sequence else "Invitation"
