"""Reading postmortems written elsewhere: plain Python, no Django, so it runs anywhere."""

from postmortems.importing.markdown import (
    ImportedAction,
    ImportedEvent,
    ImportedPostmortem,
    parse_postmortem,
)
