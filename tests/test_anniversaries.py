"""Anniversaries: postmortems from this ISO week in earlier years, for the services of one's
teams, on the postmortem list and (opted in) in the daily digest."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from actions.reminders import reminders_plan
from config import chat
from postmortems.services import anniversaries
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    ReminderPreferenceFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

# Monday 7 December 2026 is in ISO week 50; so were 8 December 2025 and 11 December 2024.
TODAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "http://testserver.example"


@pytest.fixture
def payments(author):
    team = TeamFactory(display_name="Payments")
    author.groups.add(team.group)
    return ServiceFactory(name="payments-api", team=team)


def incident(service, started: datetime, **fields):
    postmortem = PostmortemFactory(started_at=started, **fields)
    postmortem.services.add(service)
    return postmortem


def test_the_list_shows_this_week_in_earlier_years_for_my_teams_services(
    author_client, author, payments
):
    last_year = incident(payments, datetime(2025, 12, 10, 3, 0, tzinfo=UTC), title="Card outage")
    incident(payments, datetime(2025, 12, 20, tzinfo=UTC), title="Another week")
    incident(payments, datetime(2026, 12, 8, tzinfo=UTC), title="This year")
    other_team = ServiceFactory(name="search", team=TeamFactory(display_name="Search"))
    incident(other_team, datetime(2025, 12, 9, tzinfo=UTC), title="Not my team")
    with time_machine.travel(TODAY, tick=False):
        page = author_client.get(reverse("postmortems:list")).content.decode()
    panel = page.split('id="anniversaries"')[1].split("</aside>")[0]
    assert "This week in earlier years" in panel
    assert f"{last_year.reference} Card outage" in panel and "2025-12-10" in panel
    assert "Another week" not in panel and "This year" not in panel
    assert "Not my team" not in panel


def test_the_iso_week_decides_even_across_new_year(author, payments):
    # 1 January 2025 is in ISO week 1; 29 December 2026 is in week 53, 6 January 2027 in 1.
    new_year = incident(payments, datetime(2025, 1, 1, tzinfo=UTC))
    assert anniversaries(user=author, day=date(2026, 12, 29)) == []  # week 53 of 2026
    assert anniversaries(user=author, day=date(2027, 1, 6)) == [new_year]


def test_no_team_no_panel(outsider_client, payments):
    incident(payments, datetime(2025, 12, 10, tzinfo=UTC))
    with time_machine.travel(TODAY, tick=False):
        page = outsider_client.get(reverse("postmortems:list")).content.decode()
    assert 'id="anniversaries"' not in page


def test_a_restricted_postmortem_shows_only_to_its_readers(author, payments):
    secret = incident(payments, datetime(2025, 12, 10, tzinfo=UTC), title="Breach", restricted=True)
    assert anniversaries(user=author, day=TODAY.date()) == []
    secret.allowed_users.add(author)
    assert anniversaries(user=author, day=TODAY.date()) == [secret]


def test_the_digest_brings_them_back_only_to_those_who_opted_in(author, payments):
    past = incident(payments, datetime(2024, 12, 11, tzinfo=UTC), title="Ledger lag")
    # Something else to send: anniversaries alone make no digest.
    ActionItemFactory(postmortem=None, owner=author, due_date=date(2026, 12, 8))
    ReminderPreferenceFactory(user=author, hour=9)
    [digest] = reminders_plan(now=TODAY)
    assert digest.anniversaries == []
    author.reminder_preference.anniversaries = True
    author.reminder_preference.save()
    [digest] = reminders_plan(now=TODAY)
    [line] = digest.anniversaries
    assert (line.id, line.title, line.began) == (past.pk, "Ledger lag", date(2024, 12, 11))
    assert "This week in earlier years" in chat.plain(digest.chat_message())["text"]
    assert "Ledger lag" in digest.message().body


def test_anniversaries_alone_send_no_digest(author, payments):
    incident(payments, datetime(2025, 12, 10, tzinfo=UTC))
    ReminderPreferenceFactory(user=author, hour=9, anniversaries=True)
    assert reminders_plan(now=TODAY) == []


def test_a_restricted_anniversary_goes_out_by_reference_only(author, payments):
    secret = incident(
        payments, datetime(2025, 12, 10, tzinfo=UTC), title="Breach of ledger", restricted=True
    )
    secret.allowed_users.add(author)
    ActionItemFactory(postmortem=None, owner=author, due_date=date(2026, 12, 8))
    ReminderPreferenceFactory(user=author, hour=9, anniversaries=True)
    [digest] = reminders_plan(now=TODAY)
    assert [a.title for a in digest.anniversaries] == [""]
    assert (
        f"PM-{secret.pk}" in chat.plain(digest.chat_message())["text"]
        and "Breach" not in chat.plain(digest.chat_message())["text"]
    )


def test_the_preference_is_on_the_reminder_settings_page(author_client, author):
    author_client.post(
        reverse("actions:preferences"),
        {"hour": 9, "time_zone": "UTC", "anniversaries": "on"},
    )
    author.refresh_from_db()
    assert author.reminder_preference.anniversaries
