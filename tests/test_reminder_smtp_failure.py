"""Against a real SMTP server on 127.0.0.1 (aiosmtpd), through Django's SMTP backend."""

import socket
from datetime import UTC, date, datetime

import pytest
import time_machine
from aiosmtpd.controller import Controller

from actions.models import Reminder
from actions.reminders import reminders_send
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db

TUESDAY_9 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


class Sink:
    """Accepts mail, except RCPT TO the addresses in `refuse`."""

    def __init__(self):
        self.refuse: set[str] = set()
        self.received: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    controller.stop()


@pytest.fixture
def owners(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    people = [UserFactory(username=name) for name in ("ana", "bea", "cai")]
    for person in people:
        ActionItemFactory(postmortem=None, owner=person, due_date=date(2026, 3, 1))
    return people


def sweep(hour: int):
    with time_machine.travel(TUESDAY_9.replace(hour=hour), tick=False):
        return reminders_send()


def statuses() -> dict[str, str]:
    return dict(Reminder.objects.values_list("recipient__username", "status"))


def test_a_refused_address_fails_alone_and_gets_its_digest_on_the_next_run(smtp, owners):
    smtp.refuse = {"bea@example.com"}

    first = sweep(9)

    assert (first.sent, first.failed) == (2, 1)
    assert sorted(smtp.received) == ["ana@example.com", "cai@example.com"]
    assert statuses() == {"ana": "sent", "bea": "failed", "cai": "sent"}
    bea = Reminder.objects.get(recipient__username="bea")
    assert "550" in bea.last_error and "mailbox unavailable" in bea.last_error
    assert bea.sent_at is None

    smtp.refuse = set()
    second = sweep(10)

    assert (second.sent, second.failed) == (1, 0)
    assert sorted(smtp.received) == ["ana@example.com", "bea@example.com", "cai@example.com"]
    bea.refresh_from_db()
    assert (bea.status, bea.attempts, bea.last_error) == ("sent", 2, "")
    assert statuses() == {"ana": "sent", "bea": "sent", "cai": "sent"}


def test_a_mail_server_that_is_down_fails_everyone_quickly_and_the_next_run_sends(
    smtp, owners, settings
):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.REMINDER_SMTP_CONNECT_FAILURES = 2

    first = sweep(9)

    assert (first.sent, first.failed) == (0, 3)
    errors = dict(Reminder.objects.values_list("recipient__username", "last_error"))
    assert "ConnectionRefusedError" in errors["ana"] and "ConnectionRefusedError" in errors["bea"]
    assert errors["cai"] == "Not attempted: the mail server could not be reached."

    settings.EMAIL_PORT = port
    assert sweep(10).sent == 3
    assert sorted(smtp.received) == ["ana@example.com", "bea@example.com", "cai@example.com"]
