"""How review meetings name their agenda in what leaves the site (email, calendar files)."""

from __future__ import annotations

from postmortems import access
from reviews.models import Meeting


def outbound_agenda(meeting: Meeting, *, reader=None) -> list[tuple[str, str]]:
    """The agenda as (name, link) pairs, named by the rule for what leaves the site (a
    restricted postmortem by its reference only); with `reader`, only what they may read."""
    entries = meeting.agenda.select_related("postmortem")
    if reader is not None:
        entries = access.readable_agenda(reader, entries)
    named = (access.outbound(entry.postmortem, reader=True) for entry in entries)
    return [(out.name, out.url) for out in named]
