"""Signing in with a real OpenID provider in a real browser.

The provider is the certified `oidc-provider` package from npm, installed at the start of the
run into a cache folder and run on loopback by the machine's Node.js with tests/oidc_provider.mjs.
Without Node.js these tests are skipped with the reason, except under CI=true.
"""

import json
import os
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.models import AuditEvent
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROVIDER_VERSION = "oidc-provider@8"
SCRIPT = Path(__file__).resolve().parent.parent / "oidc_provider.mjs"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "debrief-tests"
CLIENT_ID, CLIENT_SECRET = "debrief", "debrief-test-secret"
ACCOUNTS = {
    "anna": {
        "email": "anna@example.com",
        "given_name": "Anna",
        "family_name": "Ahlberg",
        "preferred_username": "anna",
        "groups": ["sre", "payments"],
    },
    "olga": {
        "email": "olga@example.com",
        "name": "Olga Okafor",
        "preferred_username": "olga",
        "groups": ["debrief-admins"],
    },
}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} CI must run the SSO tests against a real provider.")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def provider_package() -> Path:
    """oidc-provider installed with npm, once per machine, outside the repository."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        _unavailable("No Node.js found (install Debian's `nodejs` and `npm`).")
    folder = CACHE / PROVIDER_VERSION.replace("@", "-")
    package = folder / "node_modules" / "oidc-provider"
    if not (package / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), PROVIDER_VERSION],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            _unavailable(f"npm install {PROVIDER_VERSION} failed: {done.stderr[-500:]}")
    return package


class Provider:
    def __init__(self, issuer: str, accounts_file: Path):
        self.issuer, self.accounts_file = issuer, accounts_file

    def set_accounts(self, accounts: dict) -> None:
        self.accounts_file.write_text(json.dumps(accounts))


@pytest.fixture(scope="session")
def oidc_provider(provider_package, live_server, tmp_path_factory):
    accounts_file = tmp_path_factory.mktemp("oidc") / "accounts.json"
    accounts_file.write_text(json.dumps(ACCOUNTS))
    env = {
        **os.environ,
        "OIDC_PROVIDER_MODULE": str(provider_package),
        "ACCOUNTS_FILE": str(accounts_file),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": f"{live_server.url}/oidc/callback/",
        "POST_LOGOUT_REDIRECT_URI": f"{live_server.url}/login/",
    }
    process = subprocess.Popen(
        ["node", str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()))
    reader.start()
    reader.join(timeout=30)
    try:
        if not first_line or not first_line[0].strip():
            pytest.fail(f"the OpenID provider did not start (exit code {process.poll()})")
        yield Provider(json.loads(first_line[0])["issuer"], accounts_file)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso(settings, oidc_provider):
    """Debrief configured for the provider, as the README's environment variables do."""
    oidc_provider.set_accounts(ACCOUNTS)
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_PROVIDER_NAME = "Test provider"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_ADMIN_GROUPS = ["debrief-admins"]
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], oidc_provider.issuer]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    return oidc_provider


def _sign_in(page, login: str) -> None:
    """From Debrief's login page, through the provider's sign-in form."""
    page.goto("/login/")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.get_by_label("Username").fill(login)
    page.get_by_role("button", name="Sign in at the provider").click()


def _refused(page) -> AuditEvent:
    page.wait_for_url("**/login/")
    expect(
        page.get_by_text("Signing in with Test provider did not work. Try again.")
    ).to_be_visible()
    assert page.get_by_role("button", name="Log out").count() == 0
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED).get()


def _rewrite(url: str, **params) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**dict(parse_qsl(parts.query)), **params})))


def _tamper_redirect(page, pattern: str, to: str, **params) -> None:
    """Changes `params` in the redirect to `to` that follows a request matching `pattern`.

    Playwright routes only the first request of a chain of redirects, so the handler follows
    the chain itself (with the browser's cookies) up to the redirect to change.
    """

    def handler(route):
        response, url = route.fetch(max_redirects=0), route.request.url
        for _ in range(8):
            url = urljoin(url, response.headers["location"])
            if to in url:
                route.fulfill(status=302, headers={"Location": _rewrite(url, **params)})
                return
            response = page.request.get(url, max_redirects=0)
        route.abort()

    page.route(pattern, handler)


def test_a_person_signs_in_with_the_provider_and_gets_an_account_with_their_groups(page, sso):
    _sign_in(page, "anna")
    page.wait_for_url("**/postmortems/")
    expect(page.get_by_text("Anna Ahlberg")).to_be_visible()
    anna = get_user_model().objects.get(username="anna")
    assert anna.email == "anna@example.com"
    assert sorted(anna.groups.values_list("name", flat=True)) == ["payments", "sre"]
    assert not (anna.is_staff or anna.is_superuser or anna.has_usable_password())
    sign_in = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN)
    assert (sign_in.actor, sign_in.details) == (anna, {"method": "sso"})
    assert page.get_by_role("link", name="Audit log").count() == 0


def test_the_providers_admin_group_makes_an_admin(page, sso):
    _sign_in(page, "olga")
    page.wait_for_url("**/postmortems/")
    olga = get_user_model().objects.get(username="olga")
    assert (olga.first_name, olga.last_name) == ("Olga", "Okafor")
    assert olga.is_staff and olga.is_superuser
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="Staff or admin changed")).to_be_visible()


def test_someone_taken_out_of_a_group_loses_a_restricted_postmortem_at_their_next_sign_in(
    page, sso
):
    sre = Group.objects.create(name="sre")
    secret = PostmortemFactory(title="Breach of the ledger", restricted=True)
    secret.allowed_groups.add(sre)
    _sign_in(page, "anna")
    page.wait_for_url("**/postmortems/")
    page.goto(secret.get_absolute_url())
    expect(page.get_by_role("heading", name="Breach of the ledger")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # at the provider
    page.wait_for_url("**/login/")

    sso.set_accounts({**ACCOUNTS, "anna": {**ACCOUNTS["anna"], "groups": ["payments"]}})
    _sign_in(page, "anna")  # the provider asks again: its session ended at logout
    page.wait_for_url("**/postmortems/")
    response = page.goto(secret.get_absolute_url())
    assert response.status == 404
    assert page.get_by_text("Breach of the ledger").count() == 0
    anna = get_user_model().objects.get(username="anna")
    assert list(anna.groups.values_list("name", flat=True)) == ["payments"]
    removed = AuditEvent.objects.filter(kind=AuditEvent.Kind.GROUPS).first()  # newest
    assert (removed.target, removed.details) == ("anna", {"removed": ["sre"]})


def test_a_tampered_state_is_refused(page, sso):
    _tamper_redirect(page, "**/interaction/*/login", "/oidc/callback/", state="tampered")
    _sign_in(page, "anna")
    assert "state not found" in _refused(page).details["reason"]
    assert not get_user_model().objects.filter(username="anna").exists()


def test_a_tampered_nonce_is_refused(page, sso):
    _tamper_redirect(page, "**/oidc/authenticate/", "/auth?", nonce="tampered")
    _sign_in(page, "anna")
    assert "Nonce verification failed" in _refused(page).details["reason"]


def test_a_forged_authorization_code_is_refused(page, sso):
    _tamper_redirect(page, "**/interaction/*/login", "/oidc/callback/", code="forged")
    _sign_in(page, "anna")
    assert "invalid_grant" in _refused(page).details["reason"]


def test_an_expired_id_token_is_refused(page, sso):
    page.goto("/login/")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.get_by_label("Username").fill("anna")
    # The provider's ID tokens live 60 seconds by its own clock; Python's is 5 minutes ahead.
    with time_machine.travel(timedelta(minutes=5), tick=True):
        page.get_by_role("button", name="Sign in at the provider").click()
        assert "Signature has expired" in _refused(page).details["reason"]


def test_sso_only_mode_leaves_passwords_to_the_break_glass_admin(page, sso, settings):
    settings.SSO_ONLY, settings.SSO_BREAK_GLASS_USERNAME = True, "root"
    UserFactory(username="ben")
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page.goto("/login/")
    page.get_by_label("Username").fill("ben")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_text("Passwords are switched off here: sign in with Test provider.")
    ).to_be_visible()

    _sign_in(page, "anna")
    page.wait_for_url("**/postmortems/")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url("**/login/")
    log_in(page, "root")
    page.get_by_role("button", name="Admin").click()
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()
