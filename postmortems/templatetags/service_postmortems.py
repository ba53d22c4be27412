"""A service's postmortems for its page: the services app sits below postmortems and may not
import it, so its template asks here, and the access rules decide what the person looking sees."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import template
from django.core.paginator import Page, Paginator
from django.db.models import F

from postmortems import access
from postmortems.models import Postmortem
from services.models import Service

register = template.Library()

PER_PAGE = 25


@dataclass
class ServicePostmortems:
    page: Page
    # Each postmortem on the page with the share of the service's error budget its impact cost.
    rows: list[tuple[Postmortem, Decimal | None]]


@register.simple_tag(takes_context=True)
def service_postmortems(context, service: Service) -> ServicePostmortems:
    """The page asked for (`?page=`) of the postmortems naming `service` that the person looking
    may read, each with its customer impact as `impact_length`."""
    request = context["request"]
    readable = access.readable_postmortems(request, service.postmortems.all())
    postmortems = (
        readable.select_related("owner")
        .with_impact()
        .annotate(impact_length=F("impact_end") - F("impact_start"))
    )
    page = Paginator(postmortems, PER_PAGE).get_page(request.GET.get("page"))
    return ServicePostmortems(page, [(pm, _consumed(service, pm.impact_length)) for pm in page])


def _consumed(service: Service, impact: timedelta | None) -> Decimal | None:
    if impact is None or impact < timedelta():
        return None
    return service.budget_consumed(round(impact.total_seconds() / 60, 1))
