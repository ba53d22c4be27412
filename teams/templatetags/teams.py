from django import template
from django.contrib.auth.models import Group

from teams.models import group_label

register = template.Library()


@register.filter
def group_name(group: Group) -> str:
    """A group as the site names it: a team by its display name."""
    return group_label(group)
