import json
import zipfile
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from postmortems.backup import archive_data
from postmortems.models import Postmortem
from reviews.models import AgendaItem, Comment, Invitation, Meeting, Reviewer
from reviews.services import meeting_create
from tests.factories import (
    ActionItemFactory,
    AlertSourceFactory,
    ContributingFactorFactory,
    PostmortemFactory,
    ServiceFactory,
    TimelineEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(author, reviewer):
    checkout = ServiceFactory(name="checkout")
    postmortem = PostmortemFactory(
        owner=author,
        title="Zoë's “checkout” outage 🔥",
        impact="**Bad** | pipes",
        status="published",
    )
    postmortem.services.add(checkout)
    postmortem.coauthors.add(reviewer)
    TimelineEventFactory(postmortem=postmortem, kind="detection", starred=True)
    ContributingFactorFactory(postmortem=postmortem)
    item = ActionItemFactory(postmortem=postmortem, owner=reviewer)
    item.complete(by=reviewer, note="Shipped")
    Reviewer.objects.create(postmortem=postmortem, user=reviewer, verdict="approved")
    Comment.objects.create(postmortem=postmortem, author=reviewer, body="LGTM @author")
    meeting = meeting_create(
        data={"starts_at": datetime(2026, 3, 9, 15, tzinfo=UTC)},
        attendees=[reviewer],
        agenda=[postmortem],
        facilitator=author,
    )
    meeting.action_items.add(item)
    AgendaItem.objects.update(decision="Publish")
    PostmortemFactory(owner=reviewer, title="Second")
    return postmortem


def test_an_archive_round_trips_into_an_empty_site_losing_nothing(site, tmp_path):
    before = archive_data()
    path = tmp_path / "debrief.zip"
    call_command("export_postmortems", str(path))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        markdown = archive.read(
            next(n for n in names if n.startswith(f"postmortems/{site.reference}-"))
        )
    assert "debrief.json" in names and len(names) == 3
    assert "**Bad** | pipes" in markdown.decode()

    _wipe()
    call_command("import_postmortems", str(path))
    after = archive_data()
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    restored = get_user_model().objects.get(username="reviewer")
    assert not restored.has_usable_password()
    new = PostmortemFactory(owner=restored)  # the id sequence moved past the restored rows
    assert new.pk > site.pk


def test_import_refuses_a_site_that_has_postmortems(site, tmp_path):
    path = tmp_path / "debrief.zip"
    call_command("export_postmortems", str(path))
    with pytest.raises(CommandError, match="already has postmortems"):
        call_command("import_postmortems", str(path))


def test_import_refuses_a_file_that_is_not_an_archive(db, tmp_path):
    path = tmp_path / "not.zip"
    path.write_text("hello")
    with pytest.raises(CommandError, match="is not a Debrief archive"):
        call_command("import_postmortems", str(path))


def test_existing_users_keep_their_passwords(site, tmp_path):
    path = tmp_path / "debrief.zip"
    call_command("export_postmortems", str(path))
    _wipe()
    keeper = UserFactory(username="author")
    call_command("import_postmortems", str(path))
    keeper.refresh_from_db()
    assert keeper.has_usable_password()


# What an archive deliberately leaves behind: this site's own bookkeeping (the log of reminder
# sweeps), passwords, and the ids of people and groups, who are matched by username and name.
# Everything else must come back as it was.
# Tracker credentials stay on their site (encrypted under its keys), and links with them.
NOT_CARRIED_MODELS = {"actions.ReminderSweep", "actions.TrackerConnection", "actions.TrackerLink"}
NOT_CARRIED_FIELDS = {
    "auth.User": {"id", "password"},
    "auth.Group": {"id"},
}
PROJECT_APPS = {"postmortems", "actions", "reviews", "services"}


def _compared_models():
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if (
            model._meta.app_label in PROJECT_APPS
            or model._meta.label in {"auth.User", "auth.Group"}
        )
        and model._meta.label not in NOT_CARRIED_MODELS
    ]


def _value(obj, field):
    if field.many_to_many:
        related = getattr(obj, field.name).all()
        return sorted(_key(other) for other in related)
    if field.is_relation:
        other = getattr(obj, field.name)
        return None if other is None else _key(other)
    return getattr(obj, field.attname)


def _key(obj):
    """How a row is named across sites: its natural key where it has one, else its id."""
    return list(obj.natural_key()) if hasattr(obj, "natural_key") else obj.pk


def _fields(model):
    skipped = NOT_CARRIED_FIELDS.get(model._meta.label, set())
    fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
    return [field for field in fields if field.name not in skipped]


def _snapshot() -> dict:
    """Every compared model's rows, field by field, keyed by how each row is named."""
    return {
        model._meta.label: {
            str(_key(obj)): {field.name: _value(obj, field) for field in _fields(model)}
            for obj in model._default_manager.all()
        }
        for model in _compared_models()
    }


def _unfilled(snapshot: dict) -> list[str]:
    """Fields that hold only empty or default values, where a loss would go unseen."""
    missing = []
    for model in _compared_models():
        rows = snapshot[model._meta.label].values()
        for field in _fields(model):
            default = None if callable(field.default) else field.get_default()
            if not any(row[field.name] not in (None, "", [], default) for row in rows):
                missing.append(f"{model._meta.label}.{field.name}")
    return missing


@pytest.fixture
def every_field(author, reviewer):
    """A site where every field of every model carried holds something other than its default."""
    from django.contrib.auth.models import Group, Permission
    from simple_history.utils import update_change_reason

    from actions.models import (
        CalendarToken,
        Reminder,
        ReminderItem,
        ReminderPreference,
        StatusChange,
    )
    from postmortems.models import (
        AlertGroup,
        AlertReceipt,
        Draft,
        ExternalVersion,
        Interview,
        LintAcknowledgement,
        LintTerm,
        PostmortemTemplate,
        ProposedEvent,
        QualityWeights,
        Recurrence,
    )
    from reviews.models import Attendance, Transition
    from teams.models import Team

    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        sre = Group.objects.create(name="SRE")
        sre.permissions.add(Permission.objects.get(codename="view_postmortem"))
        author.groups.add(sre)
        sre_team = Team.objects.create(group=sre, display_name="Site reliability", slug="sre")
        author.user_permissions.add(Permission.objects.get(codename="change_service"))
        get_user_model().objects.filter(pk=author.pk).update(
            is_staff=True, is_superuser=True, last_login=datetime(2026, 2, 27, 8, tzinfo=UTC)
        )
        UserFactory(username="gone", is_active=False)
        PostmortemTemplate.objects.update(is_default=False)
        template = PostmortemTemplate.objects.create(
            name="Security incident",
            description="For breaches",
            is_default=True,
            **{
                f.name: f"Guidance for {f.name}"
                for f in PostmortemTemplate._meta.fields
                if f.name.endswith("_guidance")
            },
        )
        LintTerm.objects.create(
            phrase="cowboy", kind="flag", message="Judges a person", suggestion="unreviewed change",
            severity="info",
        )  # fmt: skip
        LintTerm.objects.create(phrase="root cause analysis", kind="allow")
        service = ServiceFactory(
            name="checkout", team=sre_team, description="Takes money",
            slo_target="99.950", window_days=28,
        )  # fmt: skip
        postmortem = PostmortemFactory(
            owner=author, title="Checkout outage", severity=1, status="published",
            template=template, time_zone="Europe/Berlin", summary="Card payments failed.",
            impact="All customers.", customers_affected=4100, failed_requests=182000,
            support_tickets=37, went_well="Rollback.", went_poorly="Paging.", got_lucky="Monday.",
            restricted=True, no_actions_reason="Covered elsewhere.", team=sre_team,
            started_at=datetime(2026, 2, 27, 13, tzinfo=UTC),
            detected_at=datetime(2026, 2, 27, 13, 5, tzinfo=UTC),
            mitigated_at=datetime(2026, 2, 27, 13, 40, tzinfo=UTC),
            resolved_at=datetime(2026, 2, 27, 14, tzinfo=UTC), text_version=4,
            text_changed_at=datetime(2026, 3, 1, 9, tzinfo=UTC), published_version=3,
            published_at=datetime(2026, 2, 28, 11, tzinfo=UTC),
        )  # fmt: skip
        update_change_reason(postmortem, "Imported from the wiki")
        PostmortemFactory(
            owner=author, title="Disk nearly full", kind="near_miss", severity=None,
            could_have_happened="Orders lost for 2 hours.", quality_score=55,
        )  # fmt: skip
        QualityWeights.objects.create(
            timeline_sources=1, two_factors=2, impact_quantified=3, lessons_written=4,
            actions_specific=5, lint_clean=6, outside_reviewer=7,
        )  # fmt: skip
        postmortem.services.add(service)
        postmortem.coauthors.add(reviewer)
        postmortem.allowed_users.add(UserFactory(username="reader"))
        postmortem.allowed_groups.add(sre)
        event = TimelineEventFactory(
            postmortem=postmortem, kind="detection", description="Alert fired",
            source_url="https://chat.example.com/1", starred=True,
            perspective="Interview with Rui",
        )  # fmt: skip
        update_change_reason(event, "Typo")
        interview = Interview.objects.create(
            postmortem=postmortem, participant=reviewer, participant_name="Rui R.",
            facilitator=author, interviewed_at=datetime(2026, 2, 28, 9, tzinfo=UTC),
            knew="The cert was new.", saw="Errors.", made_sense="Waiting.", shared=True,
            shared_at=datetime(2026, 2, 28, 10, tzinfo=UTC),
        )  # fmt: skip
        ProposedEvent.objects.create(
            interview=interview, occurred_at=datetime(2026, 2, 27, 13, 2, tzinfo=UTC),
            description="Paged", state="accepted", event=event, decided_by=author,
            decided_at=datetime(2026, 2, 28, 11, tzinfo=UTC),
        )  # fmt: skip
        ExternalVersion.objects.create(
            postmortem=postmortem, removed_sections=["impact"], content={"title": "Outage"},
            state="revoked", token_hash="ab" * 32, created_by=author, released_by=reviewer,
            released_at=datetime(2026, 2, 28, 12, tzinfo=UTC),
            revoked_at=datetime(2026, 2, 28, 13, tzinfo=UTC),
        )  # fmt: skip
        factor = ContributingFactorFactory(postmortem=postmortem, category="change")
        update_change_reason(factor, "Split")
        LintAcknowledgement.objects.create(
            postmortem=postmortem, location="summary", rule="blame.fault", text="fault",
            reason="A quotation", acknowledged_by=author,
        )  # fmt: skip
        Draft.objects.create(
            postmortem=postmortem, user=author, field="summary", text="Card payments fa",
            base_version="3",
        )  # fmt: skip
        item = ActionItemFactory(
            postmortem=postmortem, title="Alert on expiry", description="Before *14* days",
            owner=reviewer, due_date=date(2026, 3, 20), priority="P1", kind="detect",
            tracker_url="https://tracker.example.com/OPS-7", created_by=author,
            overdue_announced_for=date(2026, 3, 20),
        )  # fmt: skip
        item.set_status("blocked", by=author, note="Waiting on vendor", reason="Vendor")
        update_change_reason(item, "Blocked")
        item.complete(by=reviewer, note="Shipped")
        item.verify(by=author, kind="game_day", evidence="Expiry alert fired on the game day")
        Recurrence.objects.create(
            new_factor=factor, status="confirmed", decided_by=author,
            decided_at=datetime(2026, 3, 1, tzinfo=UTC),
            earlier_factor=ContributingFactorFactory(postmortem=postmortem, category="change"),
        )  # fmt: skip
        StatusChange.objects.filter(item=item).update(from_status="open")
        ActionItemFactory(postmortem=postmortem, status="blocked", reason="Waiting on a vendor")
        for model in (postmortem, event, factor, item):
            model.history.update(history_user=author)
        source = AlertSourceFactory(
            name="Prometheus", kind="grafana", slug="grafana", enabled=False, secret="s",
            username="grafana", header="X-Sig", severity_label="level", severity_map={"hi": 1},
            service_label="app", default_owner=author, link_base="https://grafana.example.com",
        )  # fmt: skip
        group = AlertGroup.objects.create(
            source=source, key_hash="a" * 64, group_key="{}:{}", postmortem=postmortem
        )
        AlertReceipt.objects.create(
            group=group, key_hash="b" * 64, key="f@t:triggered", event=event
        )
        CalendarToken.objects.create(user=author, last_used_at=datetime(2026, 2, 28, tzinfo=UTC))
        ReminderPreference.objects.create(
            user=author, hour=7, time_zone="Europe/Berlin", opted_out=True,
            webhook_url="https://hooks.example.com/x", chat_layout="teams", anniversaries=True,
        )  # fmt: skip
        reminder = Reminder.objects.create(
            recipient=author, day=date(2026, 2, 28), status="failed", attempts=3, claim="sweep-1",
            claimed_at=datetime(2026, 2, 28, 8, tzinfo=UTC),
            sent_at=datetime(2026, 2, 28, 8, 1, tzinfo=UTC), last_error="SMTP 451",
            webhook_status="sent", webhook_error="timeout once",
        )  # fmt: skip
        reminder.postmortems.add(postmortem)
        ReminderItem.objects.create(reminder=reminder, item=item, section="escalated")
        Reviewer.objects.create(
            postmortem=postmortem, user=reviewer, verdict="approved", comment="Clear",
            decided_at=datetime(2026, 2, 28, 10, tzinfo=UTC), reviewed_version=3,
        )  # fmt: skip
        Comment.objects.create(postmortem=postmortem, author=reviewer, kind="approved", body="Ok")
        Transition.objects.create(
            postmortem=postmortem, from_status="in_review", to_status="published", by=author,
            reason="Approved",
        )  # fmt: skip
        meeting = meeting_create(
            data={
                "title": "March review", "starts_at": datetime(2026, 3, 9, 15, tzinfo=UTC),
                "duration_minutes": 45, "location": "Room 4", "notes": "Good",
                "decisions": "Publish", "ended_at": datetime(2026, 3, 9, 15, 40, tzinfo=UTC),
            },
            attendees=[reviewer], agenda=[postmortem], facilitator=reviewer,
        )  # fmt: skip
        meeting.action_items.add(item)
        Attendance.objects.update(attended=True)
        AgendaItem.objects.update(position=2, notes="Discussed", decision="Publish")
        Meeting.objects.update(sequence=2)
        Invitation.objects.create(
            meeting=meeting, user=reviewer, email="rui@example.com", method="CANCEL", sequence=2
        )
    return postmortem


def _wipe():
    """An empty site. Twice: deleting rows writes history rows of their deletion."""
    for _ in range(2):
        for model in reversed(_compared_models()):
            model._default_manager.all().delete()


def test_every_field_of_every_model_survives_export_and_import(every_field, tmp_path):
    before = _snapshot()
    assert _unfilled(before) == [], f"the site above must fill every field: {_unfilled(before)}"
    path = tmp_path / "debrief.zip"
    call_command("export_postmortems", str(path))
    _wipe()
    assert not any(_snapshot().values())

    call_command("import_postmortems", str(path))

    after = _snapshot()
    for label, rows in before.items():
        for key, fields in rows.items():
            assert key in after[label], f"{label} {key} was not restored"
            for name, value in fields.items():
                assert after[label][key][name] == value, f"{label} {key}: {name} was not restored"
        assert after[label].keys() == rows.keys(), f"{label} gained rows"
    assert not get_user_model().objects.get(username="author").has_usable_password()


def test_an_archive_of_the_first_format_still_restores(db, tmp_path):
    path = tmp_path / "old.zip"
    postmortem = {"title": "Old outage", "owner": ["ada"], "time_zone": "UTC", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z"}  # fmt: skip
    data = {
        "format": 1,
        "users": [{"username": "ada", "first_name": "Ada", "last_name": "", "email": "", "is_active": True}],
        "records": [{"model": "postmortems.postmortem", "pk": 7, "fields": postmortem}],
    }  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("debrief.json", json.dumps(data))
    call_command("import_postmortems", str(path))
    restored = Postmortem.objects.get(pk=7)
    assert (restored.title, restored.owner.get_full_name()) == ("Old outage", "Ada")


def test_people_already_on_the_site_keep_their_own_settings(site, tmp_path):
    from actions.models import ReminderPreference

    ReminderPreference.objects.create(user=site.owner, hour=6)
    path = tmp_path / "debrief.zip"
    call_command("export_postmortems", str(path))
    _wipe()
    keeper = UserFactory(username="author")
    ReminderPreference.objects.create(user=keeper, hour=11)
    call_command("import_postmortems", str(path))
    assert ReminderPreference.objects.get(user=keeper).hour == 11
