"""Two sweeps at the same moment, in two processes on one database: one digest per person."""

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from actions.models import Reminder, ReminderSweep
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 40

# Each process plans, then waits at a barrier until the other has planned too, so that both
# claim the same digests at the same moment: the interleaving the claim exists for.
SWEEP = """
import os, sys, time
from pathlib import Path
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from actions.reminders import planning

settings.EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
barrier = Path(os.environ["BARRIER"])
plan = planning.reminders_plan

def plan_then_wait(**kwargs):
    digests = plan(**kwargs)
    (barrier / str(os.getpid())).touch()
    deadline = time.monotonic() + 30
    while len(list(barrier.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    return digests

planning.reminders_plan = plan_then_wait
call_command("send_reminders", "--now", "2026-03-10T12:00:00+00:00")
"""


def shared_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db["USER"] or "")
        password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        return f"postgres://{user}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        return f"sqlite:///{db['NAME']}"
    pytest.skip(
        "Two processes need a database they can share; the test database is SQLite in memory. "
        "It runs on PostgreSQL: set DATABASE_URL (CI does)."
    )


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_exactly_one_digest_per_person(tmp_path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    url = shared_database_url()
    people = [UserFactory(username=f"person{n}") for n in range(PEOPLE)]
    for n, owner in enumerate(people):
        postmortem = PostmortemFactory(owner=people[(n + 1) % PEOPLE])
        ActionItemFactory.create_batch(
            3, postmortem=postmortem, owner=owner, due_date=date(2026, 3, 1)
        )  # 9 days overdue: each person also gets an escalation of someone else's items

    (tmp_path / "mail").mkdir()
    (tmp_path / "barrier").mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "BARRIER": str(tmp_path / "barrier"),
    }
    sweeps = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEP],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [sweep.communicate(timeout=60)[0] for sweep in sweeps]
    assert [sweep.returncode for sweep in sweeps] == [0, 0], outputs

    recipients = re.findall(
        r"^To: (.+)$", "".join(p.read_text() for p in (tmp_path / "mail").iterdir()), re.MULTILINE
    )
    assert sorted(recipients) == sorted(f"person{n}@example.com" for n in range(PEOPLE))
    assert Reminder.objects.filter(status="sent").count() == PEOPLE
    assert Reminder.objects.values("recipient").distinct().count() == PEOPLE
    claimed = sorted(ReminderSweep.objects.values_list("claimed", flat=True))
    assert sum(claimed) == PEOPLE and len(claimed) == 2
    assert all(f"{PEOPLE} digest(s) due" in output for output in outputs), outputs
