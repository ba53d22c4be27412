"""A sweep killed with SIGKILL mid-send, then a later one: real processes, a real SMTP server.

The clock is production's scaled down: a heartbeat every 0.25 s (30 s in production), a sweep
silent for 1 s presumed dead (2 minutes), so "a sweep started 2 minutes later" starts 1 s later.
"""

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.db import connection

from actions.models import ActionItem, Reminder, ReminderSweep

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 201
HEARTBEAT, TIMEOUT = 0.25, 1.0

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


class MailServer:
    """Keeps every message, counted per recipient, and answers each a little late, so that a
    kill can land between the server keeping a message and the sender hearing it was kept."""

    def __init__(self, pause: float):
        self.pause = pause
        self.port = 0
        self.received: Counter[str] = Counter()
        self.changed = threading.Condition()
        self.held = False  # while set, the next message and its sender wait for release()
        self.holding = None  # that sender's connection

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.held and self.holding is None:
            with self.changed:
                self.holding = session
                self.changed.notify_all()
        while self.held and session is self.holding:
            await asyncio.sleep(0.01)
        with self.changed:
            self.received.update(envelope.rcpt_tos)
            self.changed.notify_all()
        await asyncio.sleep(self.pause)
        return "250 Message accepted for delivery"

    def kept(self) -> int:
        return sum(self.received.values())

    def wait_for(self, condition: Callable[[], bool], timeout: float = 120) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, timeout), f"waited {timeout} s; {self.kept()}"

    def release(self) -> None:
        self.held, self.holding = False, None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer(pause=0.01)
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    server.port = controller.port
    yield server
    server.release()
    controller.stop()


@pytest.fixture
def people() -> list[str]:
    """PEOPLE owners of one overdue item each: every one of them is due a digest."""
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"person{n:03}", email=f"person{n:03}@example.com") for n in range(PEOPLE)
    )
    ActionItem.objects.bulk_create(
        ActionItem(title="Rotate keys", owner=u, created_by=u, due_date=date(2026, 3, 1))
        for u in users
    )
    return [u.email for u in users]


@contextmanager
def shared_database(tmp_path: Path) -> Iterator[str]:
    """A URL that other processes can open, holding what the test wrote; what they write is
    in the test's database afterwards. The in-memory SQLite of `make test` goes to a file and
    back, as Django's own parallel test runner clones it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        yield f"postgres://{quote(db['USER'] or '')}{password}@{host}/{db['NAME']}"
        return
    if not connection.is_in_memory_db():
        yield f"sqlite:///{db['NAME']}"
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    try:
        yield f"sqlite:///{path}"
    finally:
        with closing(sqlite3.connect(path)) as copy:
            copy.backup(connection.connection)


def start_sweep(database_url: str, port: int, now: str = "2026-03-10T12:00") -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "60",
        "REMINDER_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "REMINDER_HEARTBEAT_TIMEOUT_SECONDS": str(TIMEOUT),
    }
    command = [sys.executable, "manage.py", "send_reminders", "--now", now]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(sweep: subprocess.Popen) -> str:
    output = sweep.communicate(timeout=180)[0]
    assert sweep.returncode == 0, output
    return output


@pytest.mark.parametrize("kill_after", [0, 1, PEOPLE // 2, PEOPLE - 1])
def test_a_sweep_killed_mid_send_is_finished_by_the_next_with_at_most_one_twice(
    kill_after, mail_server, people, tmp_path
):
    with shared_database(tmp_path) as url:
        first = start_sweep(url, mail_server.port)
        if kill_after:
            mail_server.wait_for(lambda: mail_server.kept() >= kill_after)
        else:  # once it has claimed everyone, before the server keeps its first message
            mail_server.held = True
            mail_server.wait_for(lambda: mail_server.holding is not None)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        mail_server.release()
        before = Counter(mail_server.received)

        time.sleep(TIMEOUT + HEARTBEAT)  # "2 minutes later"
        started = time.monotonic()
        output = finish(start_sweep(url, mail_server.port, now="2026-03-10T12:02"))
        seconds = time.monotonic() - started

    received = mail_server.received
    second = received - before
    missing = [person for person in people if not received[person]]
    twice = sum(count - 1 for count in received.values() if count > 1)
    killed, later = ReminderSweep.objects.order_by("started_at")
    print(  # the figures the README quotes
        f"\nkilled after {kill_after} kept: {len(missing)} missing, {twice} sent twice, "
        f"{sum(second.values())} delivered by the next sweep in "
        f"{(later.finished_at - later.started_at).total_seconds():.1f} s "
        f"({seconds:.1f} s with start-up)"
    )
    assert missing == [] and twice <= 1
    assert set(second) == {person for person in people if not before[person]} | {
        person for person, count in received.items() if count > 1
    }
    assert Reminder.objects.filter(status="sent").count() == PEOPLE
    assert killed.finished_at is None and later.sent == sum(second.values()), output


def test_a_live_sweeps_claims_are_never_taken_however_slow_its_mail_server(
    mail_server, people, tmp_path
):
    with shared_database(tmp_path) as url:
        slow = start_sweep(url, mail_server.port)
        mail_server.wait_for(lambda: mail_server.kept() >= 10)
        mail_server.held = True  # the mail server stops answering the slow sweep
        mail_server.wait_for(lambda: mail_server.holding is not None)
        time.sleep(TIMEOUT + HEARTBEAT)  # longer than a dead sweep's heartbeat may be silent
        output = finish(start_sweep(url, mail_server.port, now="2026-03-10T12:02"))
        held = PEOPLE - mail_server.kept()  # all but those the slow sweep has recorded
        assert f"0 claimed by this run, 0 sent, 0 failed, {held} held by another" in output
        mail_server.release()
        finish(slow)

    assert sorted(mail_server.received.elements()) == people
    assert Reminder.objects.filter(status="sent").count() == PEOPLE
