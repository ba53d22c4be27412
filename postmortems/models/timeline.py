from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CHANGE = "change", "Change or deploy"
        IMPACT_START = "impact_start", "Impact start"
        DETECTION = "detection", "Detection"
        ESCALATION = "escalation", "Escalation"
        COMMUNICATION = "communication", "Communication"
        MITIGATION = "mitigation", "Mitigation"
        IMPACT_END = "impact_end", "Impact end"
        RESOLUTION = "resolution", "Resolution"

    # The postmortem's key timestamps that an event of each kind sets.
    KEY_FIELDS = {
        Kind.IMPACT_START: "started_at",
        Kind.DETECTION: "detected_at",
        Kind.MITIGATION: "mitigated_at",
        Kind.RESOLUTION: "resolved_at",
    }

    postmortem = models.ForeignKey("Postmortem", on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    description = models.TextField()
    source_url = models.URLField("source link", max_length=500, blank=True)
    # Whose account it comes from, when it was proposed in an interview: "Interview with Bea".
    perspective = models.CharField(max_length=250, blank=True, editable=False)
    starred = models.BooleanField(
        default=False, help_text="Starred events make up the short version of the timeline."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["postmortem", "occurred_at"]),
            # The impact that ended lately, which error budgets start from.
            models.Index(fields=["kind", "occurred_at"], name="timeline_event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return f"{self.postmortem.get_absolute_url()}#event-{self.pk}"


class ContributingFactor(models.Model):
    class Category(models.TextChoices):
        CHANGE = "change", "Change / deploy"
        CONFIGURATION = "configuration", "Configuration"
        CAPACITY = "capacity", "Capacity"
        DEPENDENCY = "dependency", "Dependency"
        MONITORING = "monitoring", "Monitoring gap"
        PROCESS = "process", "Process / documentation"
        TOOLING = "tooling", "Tooling"
        COMMUNICATION = "communication", "Communication"
        OTHER = "other", "Other"

    postmortem = models.ForeignKey("Postmortem", on_delete=models.CASCADE, related_name="factors")
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:60]}"

    def get_absolute_url(self) -> str:
        return f"{self.postmortem.get_absolute_url()}#factor-{self.pk}"
