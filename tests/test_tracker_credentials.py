"""Tracker credentials: encrypted at rest, rotated with a command, never shown again."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db
from django.urls import reverse

from actions.models import TrackerConnection

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        table = TrackerConnection._meta.db_table
        cursor.execute(f"SELECT token, webhook_secret FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


def make(settings) -> TrackerConnection:
    settings.DEBRIEF_FIELD_KEYS = OLD
    return TrackerConnection.objects.create(
        name="GitHub", kind="github", project="acme/web", token="ghp-plain", webhook_secret="s3cr3t"
    )


def test_the_database_column_holds_no_plaintext(settings):
    tracker = make(settings)

    token, secret = raw(tracker.pk)

    assert "ghp-plain" not in token and "s3cr3t" not in secret
    assert token.startswith("fernet:")
    assert TrackerConnection.objects.get().token == "ghp-plain"


def test_rotation_rewrites_under_the_new_key_and_the_old_one_can_then_go(settings):
    tracker = make(settings)
    before = raw(tracker.pk)
    settings.DEBRIEF_FIELD_KEYS = f"{NEW},{OLD}"

    call_command("reencrypt_secrets")
    settings.DEBRIEF_FIELD_KEYS = NEW

    assert raw(tracker.pk) != before
    assert TrackerConnection.objects.get().token == "ghp-plain"
    assert TrackerConnection.objects.get().webhook_secret == "s3cr3t"


def test_without_the_key_the_secret_is_not_read(settings):
    from django.core.exceptions import ImproperlyConfigured

    make(settings)
    settings.DEBRIEF_FIELD_KEYS = NEW

    with pytest.raises(ImproperlyConfigured, match="keep the old key listed"):
        TrackerConnection.objects.get()


def test_the_admin_says_set_and_keeps_a_secret_left_empty(admin_client, settings):
    tracker = make(settings)
    url = reverse("admin:actions_trackerconnection_change", args=[tracker.pk])

    page = admin_client.get(url).content.decode()
    assert "ghp-plain" not in page and "s3cr3t" not in page
    assert "Set. Type a new one to replace it" in page

    form = {
        "name": "GitHub",
        "kind": "github",
        "base_url": "https://api.github.com",
        "project": "acme/web",
        "token": "",
        "webhook_secret": "new-secret",
        "labels": "",
        "enabled": "on",
    }
    assert admin_client.post(url, form).status_code == 302
    tracker.refresh_from_db()
    assert tracker.token == "ghp-plain"
    assert tracker.webhook_secret == "new-secret"


@pytest.mark.parametrize("keys", ["", "not-a-fernet-key"])
def test_the_admin_says_why_a_secret_cannot_be_saved_without_a_good_key(
    admin_client, settings, keys
):
    settings.DEBRIEF_FIELD_KEYS = keys
    form = {
        "name": "GitHub",
        "kind": "github",
        "base_url": "https://api.github.com",
        "project": "acme/web",
        "token": "ghp-typed",
        "webhook_secret": "",
        "labels": "",
        "enabled": "on",
    }
    response = admin_client.post(reverse("admin:actions_trackerconnection_add"), form)
    assert response.status_code == 200
    assert "DEBRIEF_FIELD_KEYS" in response.content.decode()
    assert not TrackerConnection.objects.exists()
