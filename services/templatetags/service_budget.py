from django import template

from postmortems.models import Postmortem
from services.budget import ServiceBudget, postmortem_budgets

register = template.Library()


@register.simple_tag
def budgets_of(postmortem: Postmortem) -> list[ServiceBudget]:
    """The error budget a postmortem's impact cost each affected service."""
    return postmortem_budgets(postmortem)
