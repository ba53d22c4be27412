from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from actions.models import Reminder, ReminderItem, ReminderSweep
from actions.reminders import Digest
from postmortems.models import Severity
from reviews.models import Reviewer, Transition
from tests.factories import (
    ActionItemFactory,
    PostmortemFactory,
    ReminderPreferenceFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ana = UserFactory(username="ana")
    ActionItemFactory(postmortem=None, owner=ana, title="Rotate keys", due_date=date(2026, 3, 8))
    return ana


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_says_who_would_get_what_and_sends_and_claims_nothing(ana):
    out = run("--dry-run", "--now", "2026-03-10T09:00:00+00:00")
    assert "1 digest(s) due" in out
    assert "ana@example.com (UTC, 2026-03-10): 1 overdue" in out
    assert "overdue   #" in out and "Rotate keys (due 2026-03-08)" in out
    assert mail.outbox == []
    assert not Reminder.objects.exists() and not ReminderSweep.objects.exists()


def test_a_dry_run_shows_every_section_a_digest_can_hold(ana):
    ben = UserFactory(username="ben")
    owned = PostmortemFactory(owner=ana, title="Checkout outage")
    ActionItemFactory(postmortem=owned, owner=ben, title="Add a canary", due_date=date(2026, 3, 1))
    ActionItemFactory(postmortem=None, owner=ana, title="Page on lag", due_date=date(2026, 3, 11))
    draft = PostmortemFactory(
        owner=ana,
        title="DNS outage",
        severity=Severity.SEV1,
        resolved_at=datetime(2026, 3, 6, 10, 0, tzinfo=UTC),
    )
    waiting = PostmortemFactory(owner=ben, title="Queue backlog", status="in_review")
    Reviewer.objects.create(postmortem=waiting, user=ana)
    Transition.objects.create(postmortem=waiting, from_status="draft", to_status="in_review")
    Transition.objects.filter(postmortem=waiting).update(at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    fixed = ActionItemFactory(postmortem=owned, owner=ben, title="Alert on lag", kind="detect")
    with time_machine.travel(datetime(2026, 2, 1, 12, 0, tzinfo=UTC), tick=False):
        fixed.complete(by=ben)
    team = TeamFactory(display_name="Payments")
    ana.groups.add(team.group)
    past = PostmortemFactory(title="Ledger lag", started_at=datetime(2025, 3, 11, tzinfo=UTC))
    past.services.add(ServiceFactory(name="ledger", team=team))
    ReminderPreferenceFactory(user=ana, anniversaries=True)

    out = run("--dry-run", "--now", "2026-03-10T09:00:00+00:00")

    ana_part = out.split("ana@example.com", 1)[1].split("ben@example.com", 1)[0]
    assert (
        "1 overdue, 1 due soon, 1 escalated to you, 1 late draft, 1 waiting for your review"
        in ana_part
    )
    assert "overdue   #" in ana_part and "Rotate keys (due 2026-03-08)" in ana_part
    assert "due_soon  #" in ana_part and "Page on lag (due 2026-03-11)" in ana_part
    assert "escalated #" in ana_part and "Add a canary (due 2026-03-01)" in ana_part
    assert f"draft     PM-{draft.pk} DNS outage (review due 2026-03-09 10:00)" in ana_part
    # A section added to digests later must join this test's setup.
    lists = {f.name for f in Digest.__dataclass_fields__.values() if f.type.startswith("list[")}
    assert f"review    PM-{waiting.pk} Queue backlog (in review since 2026-03-02)" in ana_part
    assert f"verify    #{fixed.pk} Alert on lag (done 2026-02-01)" in ana_part
    assert f"past      PM-{past.pk} Ledger lag (began 2025-03-11)" in ana_part
    assert lists == {
        *ReminderItem.Section.values,
        "drafts",
        "reviews",
        "unverified",
        "anniversaries",
    }
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_it_sends_as_of_now_given_without_an_offset_in_utc(ana):
    assert "0 sent" in run("--now", "2026-03-10T08:59")  # 08:59 UTC: before ana's hour
    out = run("--now", "2026-03-10T09:00")
    assert "1 digest(s) due, 1 claimed by this run, 1 sent, 0 failed" in out
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    assert Reminder.objects.get().day == date(2026, 3, 10)
    assert "0 sent" in run("--now", "2026-03-10T11:00+02:00")  # the same day: already sent


def test_an_offset_changes_the_moment(ana):
    assert "0 sent" in run("--now", "2026-03-10T09:30+01:00")  # 08:30 UTC
    assert "1 sent" in run("--now", "2026-03-10T09:30-01:00")  # 10:30 UTC


def test_a_bad_moment_is_a_clear_error_not_a_traceback(ana):
    with pytest.raises(CommandError, match=r"--now 'next tuesday' is not an ISO-8601 date"):
        call_command("send_reminders", "--now", "next tuesday")


def test_failures_end_in_an_error_for_cron_and_shell_scripts(ana, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    with pytest.raises(CommandError, match=r"1 digest\(s\) failed; the next run retries them"):
        call_command("send_reminders", "--now", "2026-03-10T09:00", stdout=StringIO())
    assert Reminder.objects.get().status == "failed"
