from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import slugify


def unique_slug(name: str, taken: set[str]) -> str:
    """A slug for `name` that is not in `taken` ("payments", then "payments-2", …)."""
    base = slugify(name)[:90] or "team"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


class TeamQuerySet(models.QuerySet):
    def with_member_counts(self) -> TeamQuerySet:
        return self.annotate(member_count=models.Count("group__user", distinct=True))


class Team(models.Model):
    """A group of people with a name to show. Its members are the group's: set here by hand,
    or by the identity provider's groups at sign-in (the group has the provider's name)."""

    # A team is a group, so that whatever names groups (who may read a restricted
    # postmortem, the provider's groups claim) names teams too.
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="team")
    display_name = models.CharField(max_length=100)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="The end of its address, /teams/payments/: lowercase letters, digits, dashes.",
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = [Lower("display_name"), "slug"]
        constraints = [
            models.UniqueConstraint(
                Lower("display_name"),
                name="unique_team_display_name_ci",
                violation_error_message="A team with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("teams:detail", args=[self.slug])

    @property
    def members(self):
        return self.group.user_set.order_by("first_name", "last_name", "username")


def group_label(group: Group) -> str:
    """How a group is named on the site: a team by its display name."""
    try:
        return f"{group.team.display_name} (team)"
    except Team.DoesNotExist:
        return group.name
