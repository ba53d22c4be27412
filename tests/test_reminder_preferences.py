from datetime import date

import pytest
from django.urls import reverse

from actions.models import ReminderPreference
from tests.factories import ActionItemFactory, ReminderFactory, ReminderPreferenceFactory

pytestmark = pytest.mark.django_db

URL = "/actions/preferences/"


def test_it_shows_the_defaults_before_anything_is_saved(author_client):
    response = author_client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["hour"].value(), form["time_zone"].value()) == (9, "UTC")
    assert b'<option value="9" selected>09:00</option>' in response.content
    assert b"No reminder sent to you yet." in response.content
    assert not ReminderPreference.objects.exists()


def test_the_navbar_links_to_it(author_client):
    response = author_client.get(reverse("actions:mine"))
    assert f'href="{URL}">Reminders</a>'.encode() in response.content


def test_saving_sets_hour_zone_webhook_and_opt_out(author_client, author):
    data = {
        "hour": "7",
        "time_zone": "Europe/Berlin",
        "webhook_url": "https://hooks.example.com/T0/B0/xyz",
        "opted_out": "on",
    }
    response = author_client.post(URL, data)
    assert response.status_code == 302 and response["Location"] == URL
    preference = ReminderPreference.objects.get(user=author)
    assert (preference.hour, preference.time_zone, preference.opted_out) == (
        7,
        "Europe/Berlin",
        True,
    )
    assert preference.webhook_url == "https://hooks.example.com/T0/B0/xyz"

    author_client.post(URL, {"hour": "9", "time_zone": "UTC"})  # ticking the box off opts back in
    preference.refresh_from_db()
    assert (preference.hour, preference.opted_out, preference.webhook_url) == (9, False, "")


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"hour": "24", "time_zone": "UTC"}, "hour", "Select a valid choice"),
        ({"hour": "9", "time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
        (
            {"hour": "9", "time_zone": "UTC", "webhook_url": "http://hooks.example.com/x"},
            "webhook_url",
            "Use an https:// address",
        ),
    ],
)
def test_it_refuses_what_it_cannot_use(author_client, data, field, error):
    response = author_client.post(URL, data)
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    assert not ReminderPreference.objects.exists()


def test_it_lists_my_recent_reminders(author_client, author):
    ReminderPreferenceFactory(user=author)
    reminder = ReminderFactory(recipient=author, day=date(2026, 3, 10), status="failed", attempts=2)
    reminder.items.add(ActionItemFactory(owner=author), through_defaults={"section": "overdue"})
    response = author_client.get(URL)
    assert b"Tue 2026-03-10" in response.content
    assert b'Failed</span> <span class="text-body-secondary">2 attempts' in response.content


def test_the_item_page_shows_the_reminders_that_listed_it(author_client, author, reviewer):
    item = ActionItemFactory(owner=author)
    sent = ReminderFactory(recipient=author, day=date(2026, 3, 10), status="sent")
    sent.items.add(item, through_defaults={"section": "overdue"})
    escalated = ReminderFactory(recipient=reviewer, day=date(2026, 3, 11), status="failed")
    escalated.items.add(item, through_defaults={"section": "escalated"})
    response = author_client.get(item.get_absolute_url())
    html = response.content.decode()
    assert "Reminders sent" in html
    assert html.index("2026-03-11") < html.index("2026-03-10")  # newest first
    assert "Rui Reviewer · escalated to the postmortem&#x27;s owner" in html
    assert "Ada Author · overdue" in html


def test_the_item_page_says_when_no_reminder_listed_it(author_client, author):
    item = ActionItemFactory(owner=author)
    assert (
        b"No reminder has listed this item yet."
        in author_client.get(item.get_absolute_url()).content
    )


def test_plain_http_webhooks_only_go_with_the_switch_for_local_test_servers(
    author_client, settings
):
    data = {"hour": "9", "time_zone": "UTC", "webhook_url": "http://127.0.0.1:9999/hook"}
    settings.DEBUG = True
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False
    response = author_client.post(URL, data)
    assert "Use an https:// address" in " ".join(response.context["form"].errors["webhook_url"])

    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = True
    assert author_client.post(URL, data).status_code == 302
    assert ReminderPreference.objects.get().webhook_url == "http://127.0.0.1:9999/hook"
