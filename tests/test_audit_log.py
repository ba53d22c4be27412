"""The audit log: sign-ins, refused sign-ins, roles, permissions and restrictions, shown to
admins, exported as JSON lines and purged after AUDIT_RETENTION_DAYS."""

import json
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import audit_events_purge
from accounts.tasks import purge_audit_events
from postmortems.forms import AccessForm
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

Kind = AuditEvent.Kind


def _events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("pk"))


def test_a_password_sign_in_is_recorded_with_the_address_it_came_from(client, author):
    client.post("/login/", {"username": "author", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    (event,) = _events(Kind.SIGN_IN)
    assert (event.actor, event.target, event.ip) == (author, "author", "10.1.2.3")
    assert event.details == {"method": "password"}


def test_a_failed_sign_in_is_recorded_with_the_name_that_was_tried(client, author):
    response = client.post("/login/", {"username": "author", "password": "wrong"})
    assert "Please enter a correct username and password" in response.content.decode()
    (event,) = _events(Kind.SIGN_IN_FAILED)
    assert (event.actor, event.target, event.ip) == (None, "author", "127.0.0.1")
    assert not _events(Kind.SIGN_IN)


def test_sso_only_mode_refuses_passwords_except_for_the_break_glass_admin(client, settings):
    settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = "https://id.example.com", "debrief"
    settings.SSO_ONLY, settings.SSO_BREAK_GLASS_USERNAME = True, "root"
    UserFactory(username="ben")
    UserFactory(username="root", is_staff=True, is_superuser=True)

    page = client.get("/login/").content.decode()
    assert "Sign in with single sign-on" in page
    response = client.post("/login/", {"username": "ben", "password": PASSWORD})
    assert "Passwords are switched off here: sign in with single sign-on." in (
        response.content.decode()
    )
    admin_login = client.post("/admin/login/", {"username": "ben", "password": PASSWORD})
    assert "_auth_user_id" not in client.session and admin_login.status_code == 200
    (refused, _) = _events(Kind.SIGN_IN_FAILED)
    assert refused.target == "ben"
    assert refused.details["reason"] == "password sign-in is off (SSO only)"

    client.post("/login/", {"username": "root", "password": PASSWORD})
    assert client.get("/postmortems/").status_code == 200
    assert [e.target for e in _events(Kind.SIGN_IN)] == ["root"]


def test_group_memberships_staff_and_admin_changes_are_recorded_with_who_made_them(
    client, admin_user, author
):
    sre = Group.objects.create(name="sre")
    client.force_login(admin_user)
    AuditEvent.objects.all().delete()  # the admin's own creation and sign-in
    change = reverse("admin:auth_user_change", args=[author.pk])
    form = client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        groups=[sre.pk],
        is_staff="on",
        is_active="on",
        user_permissions=[],
        last_login_0="",
        last_login_1="",
        date_joined_0="2026-01-01",
        date_joined_1="00:00:00",
    )
    response = client.post(change, data, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302, response.context["adminform"].form.errors

    (role,) = _events(Kind.ROLE)
    assert (role.actor, role.target, role.details) == (admin_user, "author", {"is_staff": True})
    (groups,) = _events(Kind.GROUPS)
    assert (groups.actor, groups.target, groups.details) == (
        admin_user,
        "author",
        {"added": ["sre"]},
    )
    assert groups.ip == "10.9.8.7"

    sre.user_set.remove(author)  # outside a request: nobody signed in made it
    removed = _events(Kind.GROUPS)[-1]
    assert (removed.actor, removed.details) == (None, {"removed": ["sre"]})


def test_permission_changes_of_people_and_groups_are_recorded(author):
    sre = Group.objects.create(name="sre")
    publish = Permission.objects.get(codename="change_postmortem")
    author.user_permissions.add(publish)
    sre.permissions.add(publish)
    sre.permissions.clear()
    assert [(e.target, e.details) for e in _events(Kind.PERMISSIONS)] == [
        ("author", {"added": ["postmortems.change_postmortem"]}),
        ("group sre", {"added": ["postmortems.change_postmortem"]}),
        ("group sre", {"removed": ["postmortems.change_postmortem"]}),
    ]


def test_restricting_a_postmortem_and_naming_its_reader_groups_is_recorded(
    author_client, author, postmortem
):
    sre = Group.objects.create(name="sre")
    AuditEvent.objects.all().delete()
    author_client.post(
        reverse("postmortems:section_edit", args=[postmortem.pk, "access"]),
        {
            "restricted": "on",
            "allowed_groups": [sre.pk],
            "version": AccessForm(instance=postmortem).saved_version(),
        },
    )
    postmortem.refresh_from_db()
    assert postmortem.restricted
    restriction, readers = _events(Kind.RESTRICTION) + _events(Kind.READERS)
    assert (restriction.target, restriction.details) == (postmortem.reference, {"restricted": True})
    assert (readers.target, readers.details) == (postmortem.reference, {"groups_added": ["sre"]})
    assert restriction.actor == readers.actor == author

    postmortem.title = "A new title"
    postmortem.save()  # not a change of restriction: nothing more recorded
    postmortem.allowed_groups.clear()
    assert len(_events(Kind.RESTRICTION)) == 1
    assert _events(Kind.READERS)[-1].details == {"groups_removed": ["sre"]}


def _some_events() -> None:
    for n in range(60):
        AuditEvent.objects.create(kind=Kind.SIGN_IN, actor_name=f"user{n}", target=f"user{n}")
    AuditEvent.objects.create(kind=Kind.RESTRICTION, target="PM-7", details={"restricted": True})


def test_the_audit_log_is_for_admins_only(client, author, admin_user):
    client.force_login(author)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.jsonl").status_code == 403
    client.force_login(admin_user)
    assert client.get("/audit/").status_code == 200


def test_admins_filter_and_page_through_the_audit_log(client, admin_user):
    _some_events()
    client.force_login(admin_user)
    first = client.get("/audit/").content.decode()
    # The 61, and the admin's own creation and sign-in.
    assert "63 events" in first
    assert "Page 1 of 2" in first
    assert "user59" in first and "user3<" not in first

    only = client.get("/audit/", {"kind": "restriction"}).content.decode()
    assert "1 event;" in only and "PM-7" in only and "restricted:</span> True" in only
    assert "user5" not in only
    assert client.get("/audit/", {"actor": "user1"}).context["page"].paginator.count == 11
    assert client.get("/audit/", {"kind": "nonsense"}).status_code == 200


def test_the_export_is_json_lines_oldest_first_with_the_pages_filters(client, admin_user):
    _some_events()
    client.force_login(admin_user)
    page = client.get("/audit/", {"actor": "user1"}).content.decode()
    assert 'href="/audit/export.jsonl?actor=user1"' in page
    response = client.get("/audit/export.jsonl", {"actor": "user1"})
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="debrief-audit-')
    lines = b"".join(response.streaming_content).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["actor"] for row in rows] == ["user1", *(f"user{n}" for n in range(10, 20))]
    assert set(rows[0]) == {"at", "kind", "actor", "ip", "target", "details"}


def test_events_older_than_the_retention_are_purged(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = AuditEvent.objects.create(kind=Kind.SIGN_IN, target="old")
    recent = AuditEvent.objects.create(kind=Kind.SIGN_IN, target="recent")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    AuditEvent.objects.filter(pk=recent.pk).update(at=timezone.now() - timedelta(days=29))
    assert audit_events_purge() == 1
    assert list(AuditEvent.objects.values_list("target", flat=True)) == ["recent"]


def test_beat_runs_the_purge_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-audit-events"]
    assert entry["task"] == purge_audit_events.name == "accounts.tasks.purge_audit_events"
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_purges_the_old_events(celery_app, settings):
    settings.AUDIT_RETENTION_DAYS = 1
    event = AuditEvent.objects.create(kind=Kind.SIGN_IN, target="old")
    AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=2))
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert purge_audit_events.delay().get(timeout=30) == 1
    assert not AuditEvent.objects.exists()
