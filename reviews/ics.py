from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from reviews.models import Meeting


def meeting_invitation(meeting: Meeting) -> bytes:
    """An iCalendar invitation to a review meeting, with its agenda and a link to it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Debrief//Review meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@debrief")
    event.add("dtstamp", meeting.created_at)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", meeting.title)
    url = f"{settings.SITE_URL}{meeting.get_absolute_url()}"
    event.add("url", url)
    if meeting.location:
        event.add("location", meeting.location)
    agenda = [f"- {item.postmortem}" for item in meeting.agenda.select_related("postmortem")]
    event.add("description", "\n".join(["Agenda:", *agenda, "", url]))
    organizer = vCalAddress(f"mailto:{meeting.facilitator.email or 'debrief@localhost'}")
    organizer.params["cn"] = vText(
        meeting.facilitator.get_full_name() or meeting.facilitator.username
    )
    event["organizer"] = organizer
    for user in meeting.attendees.all():
        if user.email:
            attendee = vCalAddress(f"mailto:{user.email}")
            attendee.params["cn"] = vText(user.get_full_name() or user.username)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
