import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "debrief.example.com",
    "SITE_URL": "https://debrief.example.com",
}


def _manage(*args, **env):
    skip = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in skip}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_options_in_a_postgresql_database_url_are_kept_beside_the_sites_own():
    url = "postgres://debrief@db.example.com/debrief?options=-c%20statement_timeout%3D5000"
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    result = _manage("shell", "--no-imports", "-c", show, DATABASE_URL=url, DEBUG="true")
    assert "'options': '-c jit=off -c statement_timeout=5000'" in result.stdout, result.stderr


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_missing_secret_key_stops_start_up_with_a_clear_message():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_missing_allowed_hosts_stop_start_up_with_a_clear_message():
    env = {**PRODUCTION, "ALLOWED_HOSTS": ""}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_scripts(author_client):
    response = author_client.get(reverse("postmortems:list"))
    policy = response["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_for_that_address(client, author):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "author", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "author", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


@pytest.mark.django_db
def test_sessions_expire_after_twelve_idle_hours(settings, author_client):
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    response = author_client.get(reverse("postmortems:list"))
    assert response.cookies["sessionid"]["max-age"] == 12 * 60 * 60
