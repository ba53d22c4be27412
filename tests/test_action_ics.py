from datetime import date, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from actions.models import CalendarToken
from tests.factories import ActionItemFactory, CalendarTokenFactory

pytestmark = pytest.mark.django_db

FEED = reverse("actions:calendar")


def _events(response) -> list:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_the_feed_has_an_all_day_event_per_open_item_without_a_session(
    client, author, reviewer, settings
):
    settings.SITE_URL = "https://debrief.example.com"
    token = CalendarTokenFactory(user=author)
    item = ActionItemFactory(owner=author, title="Add a lag alert", due_date=date(2026, 5, 4))
    ActionItemFactory(owner=author).complete(by=author)
    ActionItemFactory(owner=reviewer)

    (event,) = _events(client.get(FEED, {"token": token.key}))
    assert event.get("dtstart").dt == date(2026, 5, 4)
    assert event.get("dtend").dt == date(2026, 5, 5)
    assert "Add a lag alert" in str(event.get("summary"))
    assert str(event.get("url")) == f"https://debrief.example.com/actions/{item.pk}/"
    assert str(event.get("uid")) == f"action-item-{item.pk}@debrief.example.com"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_uid_stays_the_same_when_the_item_changes(client, author):
    token = CalendarTokenFactory(user=author)
    item = ActionItemFactory(owner=author)
    (before,) = _events(client.get(FEED, {"token": token.key}))
    item.move_due_date(item.due_date + timedelta(days=7), by=author)
    (after,) = _events(client.get(FEED, {"token": token.key}))
    assert before.get("uid") == after.get("uid")
    assert after.get("dtstart").dt == item.due_date


@pytest.mark.parametrize("token", ["", "wrong", None])
def test_a_wrong_or_missing_token_is_a_404(client, author, token):
    CalendarTokenFactory(user=author)
    response = client.get(FEED, {"token": token} if token is not None else {})
    assert response.status_code == 404


def test_a_person_creates_regenerates_and_revokes_the_link(author_client, author, client):
    mine = reverse("actions:mine")
    author_client.post(reverse("actions:calendar_token"), {"action": "renew"})
    first = CalendarToken.objects.get(user=author).key
    assert f"/actions/mine.ics?token={first}" in author_client.get(mine).content.decode()

    author_client.post(reverse("actions:calendar_token"), {"action": "renew"})
    second = CalendarToken.objects.get(user=author).key
    assert second != first
    client.logout()
    assert client.get(FEED, {"token": first}).status_code == 404
    assert client.get(FEED, {"token": second}).status_code == 200

    author_client.force_login(author)
    author_client.post(reverse("actions:calendar_token"), {"action": "revoke"})
    client.logout()
    assert client.get(FEED, {"token": second}).status_code == 404
    assert not CalendarToken.objects.exists()


def test_a_deactivated_person_has_no_feed(client, author):
    token = CalendarTokenFactory(user=author)
    author.is_active = False
    author.save()
    assert client.get(FEED, {"token": token.key}).status_code == 404
