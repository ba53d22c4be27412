"""Single sign-on without a provider: off unless configured, and a clear message, never a 500,
when the provider cannot be reached. The journeys against a real provider are in
tests/browser/test_sso.py."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_without_configuration_the_login_page_offers_passwords_only(client):
    page = client.get("/login/").content.decode()
    assert "Sign in with" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_sends_people_back_with_a_message(client, settings):
    settings.OIDC_ISSUER = f"http://127.0.0.1:{_closed_port()}"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_PROVIDER_NAME = "debrief", "Okta"
    assert "Sign in with Okta" in client.get("/login/").content.decode()
    response = client.get("/oidc/authenticate/", follow=True)
    assert response.redirect_chain == [("/login/", 302)]
    assert "Okta could not be reached. Try again in a moment." in response.content.decode()


def test_a_callback_without_a_sign_in_in_progress_is_refused_and_recorded(client, settings):
    settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = "https://id.example.com", "debrief"
    response = client.get("/oidc/callback/?code=x&state=y", follow=True)
    assert "Signing in with single sign-on did not work" in response.content.decode()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN_FAILED)
    assert event.details["method"] == "sso"


def test_a_password_user_logs_out_to_the_login_page(client):
    client.force_login(UserFactory())
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def _settings_of(code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "SSO_"))}
    environment.update(DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_providers_address_is_allowed_as_a_form_action_for_logout():
    result = _settings_of(
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])",
        OIDC_ISSUER="https://sso.example.com/realms/staff",
        OIDC_CLIENT_ID="debrief",
    )
    assert result.stdout.strip() == "[\"'self'\", 'https://sso.example.com']", result.stderr


def test_sso_only_without_a_break_glass_admin_stops_start_up_with_a_clear_message():
    result = _settings_of("settings.DEBUG", OIDC_ISSUER="https://sso.example.com", SSO_ONLY="true")
    assert result.returncode != 0
    assert "SSO_ONLY needs single sign-on configured" in result.stderr
