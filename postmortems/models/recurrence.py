"""A contributing factor that came back after the fix of an earlier, like one."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Recurrence(models.Model):
    """`new_factor` has the category of `earlier_factor`, on a service both postmortems
    affected, and every action item of the earlier postmortem was done before: a "possible
    recurrence after fix", which the new postmortem's owner confirms or dismisses."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Possible recurrence after fix"
        CONFIRMED = "confirmed", "Recurrence after fix"
        DISMISSED = "dismissed", "Not a recurrence"

    new_factor = models.ForeignKey(
        "ContributingFactor", on_delete=models.CASCADE, related_name="recurrences"
    )
    earlier_factor = models.ForeignKey(
        "ContributingFactor", on_delete=models.CASCADE, related_name="recurred_as"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A dismissed pair stays, so that it is never suggested again.
            models.UniqueConstraint(
                fields=["new_factor", "earlier_factor"], name="unique_recurrence_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(new_factor=models.F("earlier_factor")),
                name="recurrence_of_another_factor",
            ),
        ]
        indexes = [models.Index(fields=["status", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.new_factor_id} after {self.earlier_factor_id}: {self.status}"

    def decide(self, status: str, *, by) -> None:
        """Confirm or dismiss; the new postmortem's owner's call (the view checks who)."""
        if status not in (self.Status.CONFIRMED, self.Status.DISMISSED):
            raise ValidationError("Confirm or dismiss the suggestion.")
        self.status, self.decided_by, self.decided_at = status, by, timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at"])
