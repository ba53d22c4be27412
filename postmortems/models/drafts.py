from __future__ import annotations

from django.conf import settings
from django.db import models

from postmortems.models.document import Postmortem


class Draft(models.Model):
    """Unsaved text of a narrative field, kept while someone types so a closed tab loses nothing."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=20)
    text = models.TextField()
    base_version = models.CharField(
        max_length=32, blank=True, help_text="The version of the saved text the draft began from."
    )
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "user", "field"], name="one_draft_per_field"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}'s draft of {self.field} on {self.postmortem.reference}"
