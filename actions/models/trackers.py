"""Connections to a team's issue tracker, and which tracker issue an action item follows."""

from __future__ import annotations

from django.db import models

from config.encryption import EncryptedTextField


class TrackerKind(models.TextChoices):
    GITHUB = "github", "GitHub Issues"
    GITLAB = "gitlab", "GitLab issues"
    JIRA = "jira", "Jira (Cloud or Data Center)"


class TrackerConnection(models.Model):
    """One repository or project of a tracker, set up by an admin."""

    name = models.CharField(max_length=80, help_text="Shown on items, e.g. “GitHub: acme/web”.")
    kind = models.CharField(max_length=12, choices=TrackerKind.choices)
    base_url = models.URLField(
        default="https://api.github.com",
        help_text="GitHub: https://api.github.com; GitLab: the site, e.g. https://gitlab.com; "
        "Jira: the site, e.g. https://acme.atlassian.net.",
    )
    project = models.CharField(
        max_length=200,
        help_text="GitHub: owner/repository; GitLab: group/project path; Jira: project key.",
    )
    email = models.EmailField(
        blank=True, help_text="Jira Cloud: the account's email, used with its API token."
    )
    token = EncryptedTextField(
        blank=True,
        help_text="An API token (Jira Cloud), personal access token (Jira Data Center, GitLab, "
        "GitHub); encrypted, never shown again.",
    )
    webhook_secret = EncryptedTextField(blank=True, help_text="Encrypted; never shown again.")
    labels = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated labels added to created issues."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label_list(self) -> list[str]:
        return [label.strip() for label in self.labels.split(",") if label.strip()]


class TrackerLink(models.Model):
    """The tracker issue an action item is kept in step with."""

    item = models.OneToOneField(
        "actions.ActionItem", on_delete=models.CASCADE, related_name="tracker_link"
    )
    connection = models.ForeignKey(
        TrackerConnection, on_delete=models.CASCADE, related_name="links"
    )
    key = models.CharField(max_length=100, help_text="The issue's number or key.")
    url = models.URLField(max_length=500)
    state = models.CharField(max_length=40, blank=True)
    # The tracker's own time of the last change applied here: older deliveries are ignored.
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="tracker_link_unique_issue")
        ]

    def __str__(self) -> str:
        return f"{self.connection.name} #{self.key}"
