from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from config.fields import person_name
from reviews.models import Meeting
from reviews.outbound import outbound_agenda


def meeting_invitation(meeting: Meeting, *, method: str = "REQUEST", to=None, reader=None) -> bytes:
    """An iCalendar invitation to a review meeting, with its agenda and a link to it.

    The agenda names postmortems as things that leave the site are named (`access.outbound`):
    calendars are other companies' services. With `reader`, it lists only what they may read.
    With method CANCEL it tells the people in `to` they are no longer invited.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Debrief//Review meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", meeting.title)
    url = f"{settings.SITE_URL}{meeting.get_absolute_url()}"
    event.add("url", url)
    if meeting.location:
        event.add("location", meeting.location)
    agenda = [f"- {name}\n  {link}" for name, link in outbound_agenda(meeting, reader=reader)]
    event.add("description", "\n".join(["Agenda:", *agenda, "", url]))
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    organizer = vCalAddress(f"mailto:{meeting.facilitator.email or 'debrief@localhost'}")
    organizer.params["cn"] = vText(person_name(meeting.facilitator))
    event["organizer"] = organizer
    for user in meeting.attendees.all() if to is None else to:
        if user.email:
            attendee = vCalAddress(f"mailto:{user.email}")
            attendee.params["cn"] = vText(person_name(user))
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
