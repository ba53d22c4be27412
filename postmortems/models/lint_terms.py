from __future__ import annotations

from django.conf import settings
from django.db import models

from postmortems.models.document import Postmortem


class LintTerm(models.Model):
    """A site-specific term the linter flags, or a phrase it must never flag."""

    class Kind(models.TextChoices):
        FLAG = "flag", "Flag this term"
        ALLOW = "allow", "Never flag this phrase"

    phrase = models.CharField(max_length=100)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.FLAG)
    message = models.CharField(
        max_length=300, blank=True, help_text="Why the term hurts learning (flagged terms)."
    )
    suggestion = models.CharField(max_length=300, blank=True)
    severity = models.CharField(
        max_length=7, choices=[("warning", "Warning"), ("info", "Hint")], default="warning"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "phrase"]
        constraints = [
            models.UniqueConstraint(fields=["phrase", "kind"], name="unique_lint_term"),
            models.CheckConstraint(
                condition=~models.Q(kind="flag") | ~models.Q(message=""),
                name="flagged_lint_term_has_message",
                violation_error_message="A flagged term needs a message saying why it hurts learning.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.phrase}"


class LintAcknowledgement(models.Model):
    """A linter warning someone decided to keep, with their reason (e.g. a quotation)."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="lint_acknowledgements"
    )
    location = models.CharField(max_length=40, help_text="Where the text is: summary, event:12…")
    rule = models.CharField(max_length=80)
    text = models.CharField(max_length=200, help_text="The flagged words.")
    reason = models.TextField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "location", "rule", "text"],
                name="unique_lint_acknowledgement",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} “{self.text}” in {self.location}"
