from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from teams.models import Team, unique_slug


@transaction.atomic
def team_create(
    *, display_name: str, slug: str = "", group: Group | None = None, members: Iterable = ()
) -> Team:
    """A team on `group` (one the identity provider sends, say), or on a new group of its name;
    `members` join the group."""
    if group is None:
        group = Group.objects.create(name=display_name)
    if not slug:
        slug = unique_slug(display_name, set(Team.objects.values_list("slug", flat=True)))
    team = Team.objects.create(group=group, display_name=display_name, slug=slug)
    group.user_set.add(*members)
    return team
