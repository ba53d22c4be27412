"""A login lasts 12 idle hours, without a session write on every page view."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(
        q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
        for q in queries.captured_queries
    )


def test_the_expiry_moves_with_use_at_most_every_five_minutes(author_client):
    url = reverse("postmortems:list")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert session_writes(author_client, url) == 1
        first_expiry = Session.objects.get().expire_date
        assert session_writes(author_client, url) == 0
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        assert session_writes(author_client, url) == 0
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        response = author_client.get(url)
        assert response.cookies["sessionid"]["max-age"] == 12 * 60 * 60
    assert Session.objects.get().expire_date - first_expiry == timedelta(minutes=6)


def test_a_session_idle_for_twelve_hours_has_expired(author_client):
    url = reverse("postmortems:list")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        author_client.get(url)
    with time_machine.travel(start + timedelta(hours=11, minutes=50), tick=False):
        assert author_client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(hours=24), tick=False):
        assert author_client.get(url).status_code == 302


def test_visitors_who_never_signed_in_get_no_session(client):
    assert client.get(reverse("login")).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert not Session.objects.exists()


def test_a_user_logs_in_with_the_form_and_lands_on_the_postmortems(client, author):
    response = client.post(
        reverse("login"), {"username": "author", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("postmortems:list")
