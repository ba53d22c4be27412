"""Several perspectives on one incident: interview notes per participant, and the timeline
events their accounts propose."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from config.fields import person_name


class Interview(models.Model):
    """What one participant knew, saw and made sense of at the time, as a facilitator noted it.

    Private to the facilitator and the participant until shared (`postmortems.access`).
    """

    postmortem = models.ForeignKey(
        "Postmortem", on_delete=models.CASCADE, related_name="interviews"
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interviews_given",
        help_text="Someone with an account here; or write a name below.",
    )
    participant_name = models.CharField(
        "or their name", max_length=200, blank=True, help_text="For someone without an account."
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interviews_facilitated"
    )
    interviewed_at = models.DateTimeField("interviewed on")
    knew = models.TextField("what they knew", blank=True)
    saw = models.TextField("what they saw at the time", blank=True)
    made_sense = models.TextField("what made sense to them then", blank=True)
    shared = models.BooleanField(default=False)
    shared_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["interviewed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(participant__isnull=False) | ~models.Q(participant_name=""),
                name="interview_names_a_participant",
            )
        ]

    def __str__(self) -> str:
        return f"Interview with {self.participant_label}"

    def get_absolute_url(self) -> str:
        return f"{self.postmortem.get_absolute_url()}#interview-{self.pk}"

    @property
    def participant_label(self) -> str:
        if self.participant_id:
            return person_name(self.participant)
        return self.participant_name

    def is_private_to(self, user) -> bool:
        """Whether `user` is one of the two people who see it before it is shared."""
        return user.is_authenticated and user.pk in (self.facilitator_id, self.participant_id)

    def share(self) -> None:
        self.shared, self.shared_at = True, timezone.now()
        self.save(update_fields=["shared", "shared_at", "updated_at"])


class ProposedEvent(models.Model):
    """A timeline event from one participant's account, until an editor accepts or dismisses it.

    Accepted, it becomes a timeline event that keeps its source (`TimelineEvent.perspective`).
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="proposals")
    occurred_at = models.DateTimeField("when")
    description = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    event = models.OneToOneField(
        "TimelineEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposal",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} ({self.get_state_display()})"

    @property
    def source(self) -> str:
        return f"Interview with {self.interview.participant_label}"

    def accept(self, *, by):
        """Into the timeline, marked with its source; once."""
        from postmortems.models.timeline import TimelineEvent

        with transaction.atomic():
            # Locked and read again: two editors accepting at once add it once.
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if current.state != self.State.PROPOSED:
                return current.event
            postmortem = self.interview.postmortem
            self.event = TimelineEvent.objects.create(
                postmortem=postmortem,
                occurred_at=self.occurred_at,
                description=self.description,
                perspective=self.source,
            )
            self._decide(self.State.ACCEPTED, by, "event")
            postmortem.mark_text_changed()
        postmortem.sync_key_times()
        return self.event

    def dismiss(self, *, by) -> None:
        if self.state == self.State.PROPOSED:
            self._decide(self.State.DISMISSED, by)

    def _decide(self, state: str, by, *fields: str) -> None:
        self.state, self.decided_by, self.decided_at = state, by, timezone.now()
        self.save(update_fields=["state", "decided_by", "decided_at", *fields])
