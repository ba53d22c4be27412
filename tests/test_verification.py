"""Verifying that a fix worked: who may, with what evidence, and what reopening does."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from actions.models import ActionItem, EvidenceKind, Status
from actions.reminders import reminders_plan
from config import chat
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", first_name="Olu", last_name="Owner")


@pytest.fixture
def done_item(postmortem, owner):
    item = ActionItemFactory(postmortem=postmortem, owner=owner, title="Alert on queue lag")
    item.complete(by=owner)
    return item


def test_someone_other_than_the_owner_verifies_a_done_item_with_evidence(done_item, author):
    done_item.verify(by=author, kind=EvidenceKind.GAME_DAY, evidence="Lag alert fired in 2 min")
    done_item.refresh_from_db()
    assert done_item.is_verified and done_item.verified_by == author
    assert (done_item.evidence_kind, done_item.evidence) == ("game_day", "Lag alert fired in 2 min")
    assert done_item.changes.last().note == "Verified (game day): Lag alert fired in 2 min"


def test_the_owner_cannot_verify_their_own_item(done_item, owner):
    with pytest.raises(ValidationError, match="owner cannot verify"):
        done_item.verify(by=owner, kind=EvidenceKind.NOTE, evidence="Trust me")
    done_item.refresh_from_db()
    assert not done_item.is_verified


def test_an_item_not_done_cannot_be_verified(postmortem, owner, author):
    item = ActionItemFactory(postmortem=postmortem, owner=owner)
    with pytest.raises(ValidationError, match="Only a done item"):
        item.verify(by=author, kind=EvidenceKind.TEST, evidence="ci run 12")


def test_a_link_must_be_a_web_address_and_evidence_cannot_be_blank(done_item, author):
    with pytest.raises(ValidationError, match="web address"):
        done_item.verify(by=author, kind=EvidenceKind.LINK, evidence="javascript:alert(1)")
    with pytest.raises(ValidationError, match="Give the evidence"):
        done_item.verify(by=author, kind=EvidenceKind.NOTE, evidence="   ")


def test_reopening_a_verified_item_clears_the_verification_and_says_so(done_item, author, owner):
    done_item.verify(by=author, kind=EvidenceKind.TEST, evidence="test_lag_alert passes")
    done_item.reopen(by=owner, note="Alert flaps")
    done_item.refresh_from_db()
    assert done_item.status == Status.OPEN and not done_item.is_verified
    assert done_item.evidence == "" and done_item.verified_by is None
    assert "Verification cleared" in done_item.changes.last().note
    # The audit trail still has the evidence that was given.
    assert done_item.history.filter(evidence="test_lag_alert passes").exists()


def test_the_database_refuses_a_verified_item_that_is_not_done(done_item, author):
    done_item.verify(by=author, kind=EvidenceKind.NOTE, evidence="Checked")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=done_item.pk).update(status=Status.OPEN, completed_at=None)


def test_an_author_verifies_from_the_items_page_with_htmx(client, done_item, author):
    client.force_login(author)
    page = client.get(done_item.get_absolute_url()).content.decode()
    assert "Mark verified" in page
    response = client.post(
        reverse("actions:verify", args=[done_item.pk]),
        {"evidence_kind": "link", "evidence": "https://ci.example.com/runs/42"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="item-verification"' in body
    assert "Verified" in body and "https://ci.example.com/runs/42" in body
    assert "<html" not in body  # the panel alone
    listed = client.get(reverse("actions:list"), {"status": "done"}).content.decode()
    assert 'title="Someone checked that the fix worked">Verified' in listed


def test_bad_evidence_answers_with_the_form_and_its_message(client, done_item, author):
    client.force_login(author)
    response = client.post(
        reverse("actions:verify", args=[done_item.pk]),
        {"evidence_kind": "link", "evidence": "not a link"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Give a web address" in response.content.decode()
    done_item.refresh_from_db()
    assert not done_item.is_verified


def test_the_owner_sees_no_form_and_is_refused(client, done_item, owner):
    client.force_login(owner)
    page = client.get(done_item.get_absolute_url()).content.decode()
    assert "Mark verified" not in page and "Someone other than you" in page
    response = client.post(
        reverse("actions:verify", args=[done_item.pk]), {"evidence_kind": "note", "evidence": "x"}
    )
    assert response.status_code == 403


def test_people_who_may_not_edit_the_postmortem_cannot_verify(client, done_item, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("actions:verify", args=[done_item.pk]), {"evidence_kind": "note", "evidence": "x"}
    )
    assert response.status_code == 403
    done_item.refresh_from_db()
    assert not done_item.is_verified


def test_a_restricted_postmortems_item_is_not_found_by_those_who_cannot_read_it(
    client, owner, outsider
):
    secret = PostmortemFactory(restricted=True)
    item = ActionItemFactory(postmortem=secret, owner=owner)
    item.complete(by=owner)
    client.force_login(outsider)
    response = client.post(
        reverse("actions:verify", args=[item.pk]), {"evidence_kind": "note", "evidence": "x"}
    )
    assert response.status_code == 404


# The digest of the postmortem's owner


def plan_on(day: date, hour: int = 9):
    return reminders_plan(now=datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


def done_on(item, day: date, by):
    with time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False):
        item.complete(by=by)


@pytest.fixture
def _site(settings):
    settings.SITE_URL = "http://testserver.example"


@pytest.mark.usefixtures("_site")
def test_prevent_and_detect_items_unverified_30_days_after_done_reach_the_owners_digest(
    author, owner
):
    postmortem = PostmortemFactory(owner=author, title="Checkout outage")
    detect = ActionItemFactory(postmortem=postmortem, owner=owner, kind="detect", title="Lag alert")
    process = ActionItemFactory(
        postmortem=postmortem, owner=owner, kind="process", title="Update runbook"
    )
    for item in (detect, process):
        done_on(item, date(2026, 3, 1), owner)
    assert plan_on(date(2026, 3, 31)) == []  # done at noon, 29 days and 21 hours ago
    [digest] = plan_on(date(2026, 4, 1))
    assert digest.recipient_id == author.pk
    [line] = digest.unverified
    assert (line.title, line.kind) == ("Lag alert", "detect")
    assert line.completed_at.astimezone(digest.zone).date() == date(2026, 3, 1)
    assert line.postmortem == f"PM-{postmortem.pk} Checkout outage"
    block = digest.blocks()[-1]
    assert block.heading == "Done but not verified after 30 days"
    assert "fix to verify" in digest.summary()
    detect.verify(by=author, kind="test", evidence="lag alert test passes")
    assert plan_on(date(2026, 4, 2)) == []


@pytest.mark.usefixtures("_site")
def test_the_unverified_section_lists_the_longest_waiting_first(author, owner):
    postmortem = PostmortemFactory(owner=author)
    later, earlier = (
        ActionItemFactory(postmortem=postmortem, owner=owner, kind="prevent", title=title)
        for title in ("Done second", "Done first")
    )
    done_on(later, date(2026, 3, 2), owner)
    done_on(earlier, date(2026, 3, 1), owner)
    [digest] = plan_on(date(2026, 4, 3))
    assert [line.title for line in digest.unverified] == ["Done first", "Done second"]
    assert "done 2026-03-01" in digest.blocks()[-1].rows[0].note


@pytest.mark.usefixtures("_site")
def test_a_restricted_postmortems_title_stays_out_of_the_unverified_section(author, owner):
    secret = PostmortemFactory(owner=author, title="Breach of billing", restricted=True)
    item = ActionItemFactory(postmortem=secret, owner=owner, kind="prevent", title="Rotate keys")
    done_on(item, date(2026, 3, 1), owner)
    [digest] = plan_on(date(2026, 4, 2))
    [line] = digest.unverified
    assert line.title == "Rotate keys" and line.postmortem == f"PM-{secret.pk}"
    assert "Breach" not in chat.plain(digest.chat_message())["text"]
    assert "Breach" not in digest.message().body
