"""Error budgets for the pages of lower apps (services, postmortems), which may not import
reporting: their templates ask for them here."""

from django import template
from django.utils import timezone

from postmortems.models import Postmortem
from reporting.budgets import ServiceBudget, postmortem_budgets, service_budgets
from services.models import Service

register = template.Library()


@register.simple_tag
def budgets_of(postmortem: Postmortem) -> list[ServiceBudget]:
    """The error budget a postmortem's impact cost each affected service."""
    return postmortem_budgets(postmortem)


@register.simple_tag(takes_context=True)
def current_budgets(context, services: list[Service]) -> list[ServiceBudget]:
    """Each service's budget in its current window, as the person looking may know it."""
    return service_budgets(list(services), now=timezone.now(), viewer=context["request"].user)


@register.simple_tag(takes_context=True)
def current_budget(context, service: Service) -> ServiceBudget:
    (budget,) = current_budgets(context, [service])
    return budget
