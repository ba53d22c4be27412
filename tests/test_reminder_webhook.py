"""Chat webhooks, against a real HTTP server on 127.0.0.1."""

import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail

from actions.models import Reminder
from actions.reminders import reminders_send
from tests.factories import ActionItemFactory, ReminderPreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_hooks_allowed(settings):
    # The test's webhook server is on loopback, which production refuses (see the last test).
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = True


class Hooks(BaseHTTPRequestHandler):
    """/ok answers 200, /broken 500, /moved redirects to /ok; every POST body is kept."""

    received: list[tuple[str, str, dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, self.headers["Content-Type"], body))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
        else:
            self.send_response(200 if self.path == "/ok" else 500)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks():
    Hooks.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", Hooks.received
    server.shutdown()
    server.server_close()


def person(username: str, webhook_url: str = ""):
    user = UserFactory(username=username, first_name=username.title(), last_name="")
    ReminderPreferenceFactory(user=user, webhook_url=webhook_url)
    ActionItemFactory(
        postmortem=None, owner=user, title=f"Fix <{username}> & co", due_date=date(2026, 3, 1)
    )
    return user


def sweep():
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        return reminders_send()


def test_the_webhook_gets_the_same_digest_as_the_email(hooks, settings):
    settings.SITE_URL = "https://debrief.example"
    url, received = hooks
    ana = person("ana", f"{url}/ok")
    person("ben")  # no webhook

    assert sweep().sent == 2

    [(path, content_type, body)] = received
    assert (path, content_type) == ("/ok", "application/json")
    item = ana.action_items.get()
    assert body["text"].startswith("*Debrief reminder for Tuesday 10 March 2026*: 1 overdue")
    assert (
        f"• <https://debrief.example/actions/{item.pk}/|Fix &lt;ana&gt; &amp; co> [P2]"
        in (body["text"])
    )
    assert "9 days overdue" in body["text"]
    assert "<https://debrief.example/actions/preferences/|Reminder settings>" in body["text"]
    assert dict(Reminder.objects.values_list("recipient__username", "webhook_status")) == {
        "ana": "sent",
        "ben": "",
    }
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("path", "error"), [("/broken", "HTTP Error 500"), ("/moved", "HTTP Error 302")]
)
def test_a_failing_webhook_is_recorded_and_does_not_stop_the_email(hooks, path, error):
    url, received = hooks
    person("ana", f"{url}{path}")

    assert sweep().sent == 1

    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.webhook_status) == ("sent", "failed")
    assert error in reminder.webhook_error
    assert [p for p, _, _ in received] == [path]  # a redirect is not followed
    assert len(mail.outbox) == 1


def test_an_unreachable_webhook_times_out_quickly(settings):
    settings.REMINDER_WEBHOOK_TIMEOUT = 0.5
    with ThreadingHTTPServer(("127.0.0.1", 0), Hooks) as silent:  # listens, never answers
        person("ana", f"http://127.0.0.1:{silent.server_port}/ok")
        assert sweep().sent == 1
    reminder = Reminder.objects.get()
    assert reminder.webhook_status == "failed" and "timed out" in reminder.webhook_error


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost", "[::1]"])
def test_webhooks_to_internal_addresses_are_refused_in_production(hooks, settings, host):
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False
    url, received = hooks
    port = url.rsplit(":", 1)[1]
    person("ana", f"http://{host}:{port}/ok")
    assert sweep().sent == 1
    reminder = Reminder.objects.get()
    assert reminder.webhook_status == "failed"
    assert "resolves to the internal address" in reminder.webhook_error
    assert received == []
    assert len(mail.outbox) == 1
