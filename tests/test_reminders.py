from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.models import Reminder, ReminderItem, ReminderSweep, Status
from actions.reminders import reminders_plan, reminders_send
from actions.reminders.digest import Digest
from actions.reminders.sending import _claim, _send_emails
from postmortems.models import Postmortem, Severity
from postmortems.models import Status as PostmortemStatus
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    ReminderFactory,
    ReminderPreferenceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TUESDAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "http://testserver.example"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users


def new_item(**fields):
    """An action item, from no postmortem unless given one (so no one else is escalated to)."""
    fields.setdefault("postmortem", None)
    return ActionItemFactory(**fields)


def at(day: date, hour: int, minute: int = 0, tz=UTC) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def sweep(moment: datetime):
    with time_machine.travel(moment, tick=False):
        return reminders_send()


def sent_to(user) -> list[Reminder]:
    return list(Reminder.objects.filter(recipient=user, status=Reminder.Status.SENT))


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", first_name="Ana", last_name="Alves")


@pytest.fixture
def ben(db):
    return UserFactory(username="ben", first_name="Ben", last_name="Okafor")


def test_an_owner_gets_one_digest_a_day_with_overdue_and_due_soon_items(ana):
    overdue = new_item(owner=ana, title="Rotate the TLS keys", due_date=date(2026, 3, 8))
    soon = new_item(owner=ana, title="Add a queue lag alert", due_date=date(2026, 3, 12))
    later = new_item(owner=ana, title="Write the runbook", due_date=date(2026, 3, 20))
    done = new_item(owner=ana, due_date=date(2026, 3, 1))
    done.complete(by=ana)

    assert sweep(at(TUESDAY, 8, 59)).sent == 0  # before her hour (09:00 by default)
    assert sweep(at(TUESDAY, 9, 0)).sent == 1
    assert sweep(at(TUESDAY, 10, 0)).sent == 0  # one a day, however many sweeps
    assert reminders_plan(now=at(TUESDAY, 11, 0)) == []
    assert sweep(at(TUESDAY, 23, 0)).sent == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert message.subject == "Debrief reminder: 1 overdue, 1 due soon"
    assert "Rotate the TLS keys" in message.body and "2 days overdue" in message.body
    assert "Add a queue lag alert" in message.body
    assert "Write the runbook" not in message.body and done.title not in message.body
    assert f"http://testserver.example/actions/{overdue.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver.example/actions/{soon.pk}/"' in html
    assert 'href="http://testserver.example/actions/preferences/"' in html
    assert "http://testserver.example/actions/preferences/" in message.body

    reminder = Reminder.objects.get()
    assert (reminder.day, reminder.status, reminder.attempts) == (TUESDAY, "sent", 1)
    assert reminder.sent_at == at(TUESDAY, 9, 0)
    sections = dict(reminder.lines.values_list("item_id", "section"))
    assert sections == {overdue.pk: "overdue", soon.pk: "due_soon"}
    assert later.pk not in sections

    assert sweep(at(TUESDAY + timedelta(days=1), 9, 5)).sent == 1  # the next day, again
    assert len(mail.outbox) == 2
    assert "3 days overdue" in mail.outbox[1].body
    assert [r.day for r in sent_to(ana)] == [TUESDAY + timedelta(days=1), TUESDAY]


def test_a_late_sweep_still_sends_the_days_digest(ana):
    new_item(owner=ana, due_date=date(2026, 3, 1))
    assert sweep(at(TUESDAY, 15, 0)).sent == 1  # the 09:00 to 14:00 runs did not happen


def test_a_digest_lists_the_most_urgent_items_first(ana):
    # Made in another order than the digest's, which the database need not return them in.
    titles = ["Due Monday, P3", "Due Monday, P1", "Due Sunday, P4", "Due Sunday, P2"]
    for title in titles:
        new_item(
            owner=ana,
            title=title,
            priority=title[-2:],
            due_date=date(2026, 3, 9 if "Monday" in title else 8),
        )
    sweep(at(TUESDAY, 9))
    body = mail.outbox[0].body
    assert sorted(titles, key=body.index) == [
        "Due Sunday, P2",
        "Due Sunday, P4",
        "Due Monday, P1",
        "Due Monday, P3",
    ]


def test_items_overdue_for_more_than_seven_days_are_escalated_to_the_postmortems_owner(ana, ben):
    postmortem = PostmortemFactory(owner=ana, title="Checkout outage")
    late = new_item(
        postmortem=postmortem, owner=ben, title="Fix the retry storm", due_date=date(2026, 3, 3)
    )
    new_item(owner=ana, title="Ana's own item", due_date=date(2026, 3, 12))

    sweep(at(TUESDAY, 9))  # 7 days overdue: not yet
    [ana_tuesday] = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert "Fix the retry storm" not in ana_tuesday.body

    sweep(at(TUESDAY + timedelta(days=1), 9))  # 8 days overdue: ana hears about it
    escalation = [m for m in mail.outbox if m.to == ["ana@example.com"]][-1]
    assert escalation.subject == "Debrief reminder: 1 due soon, 1 escalated to you"
    assert "ON POSTMORTEMS YOU OWN" in escalation.body
    assert "Fix the retry storm" in escalation.body
    assert "owner Ben Okafor" in escalation.body and "8 days overdue" in escalation.body
    assert f"PM-{postmortem.pk} Checkout outage" in escalation.body
    line = ReminderItem.objects.get(reminder__recipient=ana, item=late)
    assert (line.item_id, line.section) == (late.pk, "escalated")
    assert ReminderItem.objects.get(reminder__recipient=ben, reminder__day=TUESDAY).section == (
        "overdue"
    )


def test_one_email_holds_own_items_escalations_and_late_drafts(ana, ben):
    mine = PostmortemFactory(owner=ana)
    new_item(postmortem=mine, owner=ben, title="Ben's late item", due_date=date(2026, 2, 1))
    new_item(owner=ana, title="Ana's own item", due_date=date(2026, 3, 11))
    PostmortemFactory(
        owner=ana,
        title="DNS outage",
        severity=Severity.SEV1,
        resolved_at=datetime(2026, 3, 6, 10, 0, tzinfo=UTC),
    )

    sweep(at(TUESDAY, 9))

    [email] = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert email.subject == "Debrief reminder: 1 due soon, 1 escalated to you, 1 late draft"
    assert "Ana's own item" in email.body and "Ben's late item" in email.body
    assert "DRAFTS PAST THEIR REVIEW DEADLINE (1)" in email.body
    draft = Postmortem.objects.get(title="DNS outage")
    assert (
        f"- [SEV1] PM-{draft.pk} DNS outage\n  review was due 2026-03-09 10:00 UTC\n" in email.body
    )
    assert f"http://testserver.example/postmortems/{draft.pk}/" in email.body
    assert Reminder.objects.filter(recipient=ana).count() == 1


def test_the_postmortems_owner_gets_their_own_late_item_once(ana):
    postmortem = PostmortemFactory(owner=ana)
    new_item(postmortem=postmortem, owner=ana, due_date=date(2026, 2, 1))
    sweep(at(TUESDAY, 9))
    assert [m.subject for m in mail.outbox] == ["Debrief reminder: 1 overdue"]


def test_drafts_past_their_review_deadline_remind_their_owner(ana):
    resolved = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # a Friday
    sev1 = PostmortemFactory(owner=ana, severity=Severity.SEV1, resolved_at=resolved)
    sev2 = PostmortemFactory(owner=ana, severity=Severity.SEV2, resolved_at=resolved)
    PostmortemFactory(owner=ana, severity=Severity.SEV3, resolved_at=resolved)
    PostmortemFactory(
        owner=ana, severity=Severity.SEV1, resolved_at=resolved, status=PostmortemStatus.PUBLISHED
    )
    PostmortemFactory(owner=ana, severity=Severity.SEV1, resolved_at=None)

    assert reminders_plan(now=at(date(2026, 3, 9), 9)) == []  # SEV1 due at 10:00 that day
    [digest] = reminders_plan(now=at(date(2026, 3, 13), 9))
    assert [d.id for d in digest.drafts] == [sev1.pk]  # SEV2 is due next Friday 10:00
    [digest] = reminders_plan(now=at(date(2026, 3, 14), 9))
    assert [d.id for d in digest.drafts] == [sev1.pk, sev2.pk]


def test_people_who_opted_out_get_nothing_not_even_escalations(ana, ben):
    ReminderPreferenceFactory(user=ana, opted_out=True)
    postmortem = PostmortemFactory(owner=ana)
    new_item(postmortem=postmortem, owner=ben, due_date=date(2026, 2, 1))
    new_item(owner=ana, due_date=date(2026, 3, 1))
    sweep(at(TUESDAY, 9))
    assert [m.to for m in mail.outbox] == [["ben@example.com"]]
    assert not Reminder.objects.filter(recipient=ana).exists()


def test_nothing_to_list_sends_nothing_and_records_nothing(ana):
    new_item(owner=ana, due_date=date(2026, 4, 1))
    inactive = UserFactory(is_active=False)
    new_item(owner=inactive, due_date=date(2026, 3, 1))
    no_email = UserFactory(email="")
    new_item(owner=no_email, due_date=date(2026, 3, 1))
    result = sweep(at(TUESDAY, 9))
    assert (result.due, result.sent, len(mail.outbox)) == (0, 0, 0)
    assert not Reminder.objects.exists()
    assert result.finished_at == at(TUESDAY, 9)


def test_each_person_gets_theirs_at_their_own_local_hour_and_day(ana, ben):
    ReminderPreferenceFactory(user=ana, hour=9, time_zone="Asia/Tokyo")
    ReminderPreferenceFactory(user=ben, hour=7, time_zone="America/New_York")
    new_item(owner=ana, title="Tokyo item", due_date=TUESDAY)
    new_item(owner=ben, title="New York item", due_date=TUESDAY)

    sweep(at(date(2026, 3, 9), 23, 0))  # Tokyo 08:00 Tue, New York 19:00 Mon
    assert [m.to for m in mail.outbox] == [["ben@example.com"]]
    assert sent_to(ben)[0].day == date(2026, 3, 9)  # New York's Monday: due tomorrow
    assert "DUE IN THE NEXT 2 DAYS (1)" in mail.outbox[0].body

    sweep(at(date(2026, 3, 10), 0, 0))  # Tokyo 09:00 Tuesday: due today, not overdue
    assert [m.to for m in mail.outbox][1:] == [["ana@example.com"]]
    assert sent_to(ana)[0].day == TUESDAY
    assert "DUE IN THE NEXT 2 DAYS (1)" in mail.outbox[1].body

    sweep(at(date(2026, 3, 10), 10, 0))  # New York 06:00 Tuesday: before ben's hour
    assert len(mail.outbox) == 2
    sweep(at(date(2026, 3, 10), 11, 0))  # New York 07:00 Tuesday (EDT since Sunday)
    assert len(mail.outbox) == 3
    assert "OVERDUE (1)" not in mail.outbox[2].body  # due today in New York
    sweep(at(date(2026, 3, 10), 23, 0))  # Tokyo 08:00 Wednesday: before ana's hour
    sweep(at(date(2026, 3, 11), 0, 0))  # Tokyo 09:00 Wednesday: now it is overdue
    assert mail.outbox[3].to == ["ana@example.com"]
    assert "OVERDUE (1)" in mail.outbox[3].body and "1 day overdue" in mail.outbox[3].body


def claimed_by_sweep(recipient, *, heartbeat_at: datetime, finished: bool = False) -> Reminder:
    """Today's reminder of `recipient`, held by a sweep that last beat at `heartbeat_at`."""
    other = ReminderSweep.objects.create(
        started_at=heartbeat_at,
        as_of=heartbeat_at,
        claim=f"sweep-of-{recipient.username}",
        heartbeat_at=heartbeat_at,
        finished_at=heartbeat_at if finished else None,
    )
    return ReminderFactory(
        recipient=recipient, day=TUESDAY, claim=other.claim, claimed_at=heartbeat_at
    )


def test_a_claim_is_left_alone_while_its_sweep_beats_and_taken_over_once_it_stops(ana, ben):
    cai = UserFactory(username="cai")
    for owner in (ana, ben, cai):
        new_item(owner=owner, due_date=date(2026, 3, 1))
    now = at(TUESDAY, 9, 30)
    # Ana's sweep is sending and beat 90 s ago; ben's was killed (silent for over 2 minutes);
    # cai's finished without recording his (a crash between send and record).
    live = claimed_by_sweep(ana, heartbeat_at=now - timedelta(seconds=90))
    dead = claimed_by_sweep(ben, heartbeat_at=now - timedelta(seconds=121))
    claimed_by_sweep(cai, heartbeat_at=now - timedelta(seconds=5), finished=True)

    assert sweep(now).sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ben@example.com", "cai@example.com"]
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("sent", 2)
    live.refresh_from_db()
    assert (live.status, live.claim) == ("pending", "sweep-of-ana")

    assert sweep(now + timedelta(seconds=31)).sent == 1  # ana's sweep has now been silent 121 s
    live.refresh_from_db()
    assert (live.status, live.attempts) == ("sent", 2)


def test_a_sweep_counts_the_digests_that_running_sweeps_still_hold(ana, ben):
    new_item(owner=ana, due_date=date(2026, 3, 1))  # ben has nothing due any more
    now = at(TUESDAY, 9, 30)
    claimed_by_sweep(ana, heartbeat_at=now - timedelta(seconds=30))
    claimed_by_sweep(ben, heartbeat_at=now - timedelta(minutes=5))
    assert sweep(now).held == 1  # so the task runs again, in case ana's sweep was killed
    later = sweep(now + timedelta(minutes=2))
    assert (later.sent, later.held) == (1, 0)  # ben's dead claim alone runs nothing again


def test_a_digest_claimed_by_another_sweep_meanwhile_is_not_sent_twice(ana, ben):
    cai, dan = UserFactory(username="cai"), UserFactory(username="dan")
    for owner in (ana, ben, cai, dan):
        new_item(owner=owner, due_date=date(2026, 3, 1))
    now = at(TUESDAY, 9)
    failed = ReminderFactory(recipient=ben, day=TUESDAY, status="failed", claimed_at=now)
    abandoned = claimed_by_sweep(dan, heartbeat_at=now - timedelta(minutes=5))
    with time_machine.travel(now, tick=False):
        digests = reminders_plan(now=now)
        assert {d.recipient_id for d in digests} == {ana.pk, ben.pk, cai.pk, dan.pk}
        # Between this sweep's plan and its claim, another sweep inserts ana's row and
        # takes over ben's failed one and dan's abandoned one.
        ReminderFactory(recipient=ana, day=TUESDAY, claim="other")
        Reminder.objects.filter(pk__in=[failed.pk, abandoned.pk]).update(
            status="pending", claim="other"
        )
        mine = _claim(digests, token="this", clock=now)
    assert [d.recipient_id for d in mine] == [cai.pk]
    assert set(Reminder.objects.values_list("recipient__username", "claim")) == {
        ("ana", "other"),
        ("ben", "other"),
        ("cai", "this"),
        ("dan", "other"),
    }
    assert not ReminderItem.objects.filter(reminder__recipient__in=[ana, ben, dan]).exists()


def test_a_sweep_whose_claims_were_taken_over_stops_after_the_send_in_flight(ana, ben):
    cai = UserFactory(username="cai")
    for owner in (ana, ben, cai):
        new_item(owner=owner, due_date=date(2026, 3, 1))
    now = at(TUESDAY, 9)
    with time_machine.travel(now, tick=False):
        mine = _claim(reminders_plan(now=now), token="slow", clock=now)
        # This sweep stalled past the heartbeat timeout; another took its claims over.
        Reminder.objects.update(claim="other")
        sent, failed = _send_emails(mine, token="slow")
    assert (len(sent), failed) == (0, 0)
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    assert set(Reminder.objects.values_list("status", "claim")) == {("pending", "other")}


class StatusesAtEachSend(BaseEmailBackend):
    """An email backend that notes every reminder's status as each message goes out."""

    seen: list[dict[str, str]] = []

    def send_messages(self, messages) -> int:
        self.seen.append(dict(Reminder.objects.values_list("recipient__username", "status")))
        return len(messages)


def test_each_send_is_recorded_before_the_next_starts(ana, ben, settings):
    settings.EMAIL_BACKEND = f"{__name__}.StatusesAtEachSend"
    StatusesAtEachSend.seen = []
    for owner in (ana, ben):
        new_item(owner=owner, due_date=date(2026, 3, 1))
    sweep(at(TUESDAY, 9))
    assert StatusesAtEachSend.seen == [
        {"ana": "pending", "ben": "pending"},
        {"ana": "sent", "ben": "pending"},
    ]


def test_a_digest_whose_email_cannot_be_built_fails_alone(ana, ben, monkeypatch):
    build = Digest.message

    def message(digest):
        if digest.name == "Ana Alves":
            raise ValueError("the template broke")
        return build(digest)

    monkeypatch.setattr(Digest, "message", message)
    for owner in (ana, ben):
        new_item(owner=owner, due_date=date(2026, 3, 1))
    assert (sweep(at(TUESDAY, 9)).sent, [m.to for m in mail.outbox]) == (1, [["ben@example.com"]])
    failed = Reminder.objects.get(recipient=ana)
    assert (failed.status, failed.last_error) == ("failed", "ValueError: the template broke")


def test_failed_digests_are_retried_until_the_attempt_limit(ana, settings):
    settings.REMINDER_MAX_ATTEMPTS = 2
    new_item(owner=ana, due_date=date(2026, 3, 1))
    failed = ReminderFactory(recipient=ana, day=TUESDAY, status="failed", last_error="boom")
    assert sweep(at(TUESDAY, 10)).sent == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("sent", 2, "")

    Reminder.objects.filter(pk=failed.pk).update(status="failed")
    assert sweep(at(TUESDAY, 11)).sent == 0  # two attempts made: wait for tomorrow
    assert sweep(at(TUESDAY + timedelta(days=1), 9)).sent == 1


def test_the_number_of_queries_does_not_grow_with_the_number_of_items(ana, ben):
    others = {ana: UserFactory(), ben: UserFactory()}
    postmortems = {owner: PostmortemFactory(owner=owner) for owner in others}

    def add_items(count: int) -> None:
        for owner, other in others.items():
            ActionItemFactory.create_batch(
                count, postmortem=None, owner=owner, due_date=TUESDAY - timedelta(days=1)
            )
            ActionItemFactory.create_batch(
                count,
                postmortem=postmortems[owner],
                owner=other,
                due_date=TUESDAY - timedelta(days=9),
            )

    def queries() -> int:
        Reminder.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            assert sweep(at(TUESDAY, 9)).sent == 4
        return len(captured)

    add_items(2)
    few = queries()
    add_items(30)
    assert queries() == few


def test_closed_items_and_items_moved_later_drop_out_of_the_next_digest(ana):
    late = new_item(owner=ana, due_date=date(2026, 3, 1))
    sweep(at(TUESDAY, 9))
    late.set_status(Status.WONT_DO, by=ana, reason="Superseded by the new queue")
    sweep(at(TUESDAY + timedelta(days=1), 9))
    assert len(mail.outbox) == 1


def test_a_restricted_postmortems_title_stays_out_of_the_digest(ana):
    secret = PostmortemFactory(title="Breach of the billing database", restricted=True)
    secret.allowed_users.add(ana)  # she reads it: her item's title goes out, not its title
    new_item(postmortem=secret, owner=ana, title="Rotate the billing keys", due_date=TUESDAY)
    sweep(at(TUESDAY, 9))
    [email] = mail.outbox
    assert "Rotate the billing keys" in email.body
    assert f"due 2026-03-10 · PM-{secret.pk}\n" in email.body
    assert "Breach" not in email.body and "Breach" not in email.alternatives[0][0]
