"""How review meetings name postmortems in what leaves the site (email, calendar files).

A restricted postmortem is named only by its reference and its link, whoever receives it.
`outbound_label` is the one call site: the access module's rule for what leaves the site
replaces it when that module lands.
"""

from __future__ import annotations

from django.conf import settings

from postmortems.models import Postmortem
from reviews.models import Meeting


def outbound_label(postmortem: Postmortem) -> str:
    if postmortem.restricted:
        return postmortem.reference
    return f"{postmortem.reference}: {postmortem.title}"


def outbound_agenda(meeting: Meeting) -> list[tuple[str, str]]:
    """The agenda as (label, link) pairs, safe to send to anyone invited."""
    return [
        (
            outbound_label(item.postmortem),
            f"{settings.SITE_URL}{item.postmortem.get_absolute_url()}",
        )
        for item in meeting.agenda.select_related("postmortem")
    ]
