import json
import zipfile
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from postmortems.backup import MODELS, archive_data
from reviews.models import AgendaItem, Comment, Reviewer
from reviews.services import meeting_create
from tests.factories import (
    ActionItemFactory,
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


def _wipe():
    from django.apps import apps

    for label in reversed(MODELS):
        apps.get_model(label)._default_manager.all().delete()
    get_user_model().objects.all().delete()


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
