from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actions.models import ActionItem, Status, default_due_date
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def test_the_default_due_date_follows_the_priority_and_the_setting(settings):
    assert default_due_date("P1", TODAY) == date(2026, 4, 7)
    assert default_due_date("P2", TODAY) == TODAY + timedelta(days=56)
    settings.ACTION_ITEM_DUE_DAYS = {"P1": 7, "P2": 14, "P3": 30}
    assert default_due_date("P1", TODAY) == date(2026, 3, 17)


def test_overdue_and_due_soon_count_only_open_items():
    late = ActionItemFactory(due_date=TODAY - timedelta(days=1))
    blocked_late = ActionItemFactory(
        due_date=TODAY - timedelta(days=3), status=Status.BLOCKED, reason="Vendor"
    )
    ActionItemFactory(due_date=TODAY - timedelta(days=1), status=Status.WONT_DO, reason="Moot")
    soon = ActionItemFactory(due_date=TODAY + timedelta(days=7))
    ActionItemFactory(due_date=TODAY + timedelta(days=8))
    due_today = ActionItemFactory(due_date=TODAY)

    assert set(ActionItem.objects.overdue(TODAY)) == {late, blocked_late}
    assert set(ActionItem.objects.due_soon(TODAY, 7)) == {soon, due_today}


@time_machine.travel("2026-03-10 12:00Z", tick=False)
def test_an_item_is_overdue_only_while_open_and_past_its_due_date():
    item = ActionItemFactory(due_date=TODAY - timedelta(days=1))
    assert item.is_overdue
    assert not ActionItemFactory(due_date=TODAY).is_overdue
    item.complete(by=item.owner)
    assert not item.is_overdue


def test_completing_sets_completed_at_and_reopening_clears_it(author):
    item = ActionItemFactory(owner=author)
    item.complete(by=author, note="Shipped in v2.3")
    item.refresh_from_db()
    assert item.status == Status.DONE and item.completed_at is not None

    item.reopen(by=author, note="The alert never fired")
    item.refresh_from_db()
    assert item.status == Status.OPEN and item.completed_at is None

    history = [(c.from_status, c.to_status, c.note, c.changed_by) for c in item.changes.all()]
    assert history == [
        ("open", "done", "Shipped in v2.3", author),
        ("done", "open", "The alert never fired", author),
    ]


def test_blocked_and_wont_do_need_a_reason_which_the_history_keeps(author):
    item = ActionItemFactory(owner=author)
    with pytest.raises(ValidationError):
        item.set_status(Status.BLOCKED, by=author)
    item.set_status(Status.BLOCKED, by=author, reason="Waiting for the vendor")
    item.set_status(Status.IN_PROGRESS, by=author)
    item.refresh_from_db()
    assert item.reason == ""
    assert [c.note for c in item.changes.all()] == ["Waiting for the vendor", ""]


def test_setting_the_same_status_again_records_nothing(author):
    item = ActionItemFactory(owner=author)
    item.complete(by=author)
    item.complete(by=author)
    assert item.changes.count() == 1


def test_the_history_records_the_status_the_database_had(author):
    item = ActionItemFactory(owner=author)
    stale = ActionItem.objects.get(pk=item.pk)
    item.set_status(Status.IN_PROGRESS, by=author)
    stale.complete(by=author)
    assert stale.changes.last().from_status == Status.IN_PROGRESS


def test_an_item_without_owner_cannot_be_reopened(author):
    item = ActionItemFactory(owner=None, status=Status.WONT_DO, reason="Team disbanded")
    with pytest.raises(ValidationError, match="owner"):
        item.reopen(by=author)


def test_the_database_refuses_an_open_item_without_owner():
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItemFactory(owner=None, created_by=None)


def test_the_database_refuses_blocked_or_dropped_items_without_a_reason():
    for status in (Status.BLOCKED, Status.WONT_DO):
        with pytest.raises(IntegrityError), transaction.atomic():
            ActionItemFactory(status=status, reason="")


def test_the_database_keeps_completed_at_only_on_done_items():
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItemFactory(status=Status.DONE, completed_at=None)


def test_a_past_due_date_is_accepted_for_imported_items():
    item = ActionItemFactory(due_date=date(2020, 1, 1))
    item.full_clean()
    assert item.is_overdue


def test_reassigning_and_moving_the_due_date_are_in_the_history(author, reviewer):
    item = ActionItemFactory(owner=author, due_date=date(2026, 4, 1))
    item.reassign(reviewer, by=author)
    item.move_due_date(date(2026, 5, 1), by=author)
    item.refresh_from_db()
    assert item.owner == reviewer and item.due_date == date(2026, 5, 1)
    notes = [c.note for c in item.changes.all()]
    assert notes == ["Owner: Ada Author → Rui Reviewer", "Due date: 2026-04-01 → 2026-05-01"]


def test_who_may_change_an_item(author, reviewer, outsider, admin_user):
    postmortem = PostmortemFactory(owner=author)
    coauthor = UserFactory()
    postmortem.coauthors.add(coauthor)
    creator = UserFactory()
    item = ActionItemFactory(postmortem=postmortem, owner=reviewer, created_by=creator)

    for user in (author, coauthor, reviewer, creator, admin_user):
        assert item.can_change(user), user
    assert not item.can_change(outsider)

    loose = ActionItemFactory(postmortem=None, owner=reviewer, created_by=reviewer)
    assert loose.can_change(reviewer) and not loose.can_change(author)
