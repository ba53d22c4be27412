"""A team's postmortems for its page: the teams app sits below postmortems and may not import
it, so its template asks here, and the access rules decide what the person looking sees."""

from dataclasses import dataclass

from django import template

from postmortems import access
from postmortems.models import Postmortem

register = template.Library()

SHOWN = 20


@dataclass
class TeamPostmortems:
    newest: list[Postmortem]
    total: int


@register.simple_tag(takes_context=True)
def team_postmortems(context, team) -> TeamPostmortems:
    """The newest postmortems `team` owns that the person looking may read, and their number."""
    readable = access.readable_postmortems(context["request"], team.postmortems.all())
    return TeamPostmortems(list(readable.select_related("owner")[:SHOWN]), readable.count())
