"""`make run` ends with the demo login, and every demo person can sign in with it."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import call_command
from django.test import RequestFactory

from config.console_email import OneLineEmailBackend
from config.devserver import READY

ROOT = Path(__file__).resolve().parent.parent
DEMO_PEOPLE = ["demo", "anna", "ben", "chloe", "dev"]


@pytest.mark.django_db
def test_every_demo_person_signs_in_with_the_demo_password():
    call_command("load_demo", stdout=io.StringIO())
    request = RequestFactory().post("/login/")
    for username in DEMO_PEOPLE:
        assert authenticate(request, username=username, password="debrief-demo"), username


def test_console_email_prints_one_line_per_message():
    stream = io.StringIO()
    messages = [
        mail.EmailMultiAlternatives("Debrief reminder: 2 overdue", "body " * 500, to=[to])
        for to in ["anna@example.com", "ben@example.com"]
    ]
    messages[0].attach_alternative("<p>html</p>", "text/html")

    OneLineEmailBackend(stream=stream).send_messages(messages)

    assert stream.getvalue().splitlines() == [
        "Email to anna@example.com: Debrief reminder: 2 overdue",
        "Email to ben@example.com: Debrief reminder: 2 overdue",
    ]


def _zone_past_nine_today() -> str:
    """A fixed-offset zone where it is now between 10:00 and 22:00, so digests are due."""
    hour = datetime.now(UTC).hour
    offset = next(o for o in range(-12, 15) if 10 <= hour + o <= 22)
    return f"Etc/GMT{-offset:+d}"  # Etc/ names count the other way: Etc/GMT-2 is UTC+2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The whole of `make run` on a new site: migrate, the demo, a sweep, worker, beat and server.
# That takes 20 s on a quiet machine and minutes on a busy one.
@pytest.mark.timeout(300)
def test_make_run_prints_the_login_last_and_one_line_per_email(tmp_path, redis_url):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "EMAIL_BACKEND"}}
    env |= {
        "PORT": str(_free_port()),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": redis_url,
        # The demo's reminders go out at 09:00 in the site's zone: pick one where that has passed.
        "TIME_ZONE": _zone_past_nine_today(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "config.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    login_shown = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Demo login"):
                login_shown.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert login_shown.wait(timeout=240), "\n".join(lines)
        time.sleep(2)  # anything printed right after the login would push it up
        printed = [line for line in lines if line.strip()]
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: make run stops what it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)

    output = "\n".join(printed)
    assert printed[-1] == (
        "Demo login: username “demo”, password “debrief-demo” (also for anna, ben, chloe, dev)"
    ), output
    assert "Debrief is running on" in printed[-2]
    for marker in READY:  # the worker, beat and the web server had their say before it
        assert marker in output, marker
    emails = [line for line in printed if line.startswith("Email to ")]
    assert emails, output  # the start-up sweep sent the demo's digests
    assert "Content-Type:" not in output and "MIME-Version" not in output


def test_the_readme_names_every_demo_person_and_the_password():
    quick_start = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[1]
    assert quick_start.startswith("Quick start")
    for username in DEMO_PEOPLE:
        assert f"`{username}`" in quick_start, username
    assert "`debrief-demo`" in quick_start
