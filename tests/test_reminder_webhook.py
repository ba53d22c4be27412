"""Chat webhooks, against a real HTTP server on 127.0.0.1."""

import json
import socket
import ssl
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
    ReminderPreferenceFactory(user=user, webhook_url=webhook_url, chat_layout="slack")
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
    assert body["text"] == "Debrief reminder for Tuesday 10 March 2026"
    text = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert text.startswith("1 overdue")
    assert f"• <https://debrief.example/actions/{item.pk}/|Fix &lt;ana&gt; &amp; co> [P2]" in text
    assert "9 days overdue" in text
    buttons = {e["text"]["text"]: e["url"] for e in body["blocks"][-1]["elements"]}
    assert buttons["Reminder settings"] == "https://debrief.example/actions/preferences/"
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


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 and notes the path and Host header of each POST on its server."""

    def do_POST(self):
        self.server.posts.append((self.path, self.headers["Host"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


PUBLIC = "93.184.216.34"  # a public address; the checked server plays it


@pytest.fixture
def rebinding_name(monkeypatch, settings):
    """hooks.example answers a public address at its first lookup and 127.0.0.2 at every
    later one, as a name set up for DNS rebinding does. The public address leads to a server
    on 127.0.0.1 and the internal one to another on the same port."""
    settings.REMINDER_WEBHOOK_ALLOW_PRIVATE = False
    checked = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    port = checked.server_port
    internal = ThreadingHTTPServer(("127.0.0.2", port), Recorder)
    for server in (checked, internal):
        server.posts = []
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    lookups = iter([PUBLIC])
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host, *args, **kwargs):
        if host != "hooks.example":
            return real_getaddrinfo(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(lookups, "127.0.0.2"), port))]

    def create_connection(address, *args, **kwargs):
        if address[0] == PUBLIC:
            address = ("127.0.0.1", address[1])
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield f"http://hooks.example:{port}", checked.posts, internal.posts
    for server in (checked, internal):
        server.shutdown()
        server.server_close()


def test_the_webhook_is_posted_to_the_address_that_was_checked(rebinding_name):
    url, checked, internal = rebinding_name
    person("ana", f"{url}/services/T1?token=abc")

    assert sweep().sent == 1

    assert Reminder.objects.get().webhook_status == "sent"
    host = url.removeprefix("http://")
    assert checked == [("/services/T1?token=abc", host)]  # the name, for virtual hosts
    assert internal == []


HOOKS_CERT = Path(__file__).parent / "data" / "hooks.example.pem"  # self-signed, with its key


@pytest.mark.parametrize(
    ("name", "status"), [("hooks.example", "sent"), ("other.example", "failed")]
)
def test_an_https_webhook_checks_the_certificate_against_the_name(monkeypatch, name, status):
    """Connecting to the looked-up address still verifies TLS for the name in the URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.posts = []
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(HOOKS_CERT)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(HOOKS_CERT))  # trust it, and nothing else
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real_getaddrinfo("127.0.0.1" if host == name else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    person("ana", f"https://{name}:{server.server_port}/hook")
    try:
        assert sweep().sent == 1
    finally:
        server.shutdown()
        server.server_close()

    reminder = Reminder.objects.get()
    assert reminder.webhook_status == status
    if status == "sent":
        assert server.posts == [("/hook", f"hooks.example:{server.server_port}")]
    else:
        assert "not valid for 'other.example'" in reminder.webhook_error
        assert server.posts == []
