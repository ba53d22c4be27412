from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from postmortems import access
from reviews.models import Meeting


def meeting_invitation(meeting: Meeting, *, user) -> bytes:
    """An iCalendar invitation to a review meeting, with its agenda and a link to it.

    The agenda lists what `user` may read, as things that leave the site are named
    (`access.outbound`): calendars are other companies' services.
    """
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
    agenda = [
        f"- {access.outbound(item.postmortem, reader=True).name}"
        for item in access.readable_agenda(user, meeting.agenda.all())
    ]
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
