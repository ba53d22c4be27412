"""Personal access tokens: made on a page, shown once, stored hashed, scoped, revocable,
expiring and rate-limited; and the browser's session, with CSRF for writes."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from tests.api import ApiClient

pytestmark = pytest.mark.django_db

LINT = {"text": "Bob should have checked the config."}


def test_the_page_shows_a_new_token_once_and_stores_only_its_hash(author_client, author):
    response = author_client.post(
        "/account/tokens/",
        {"name": "incident bot", "scope": "write", "expires_in_days": "30"},
        follow=True,
    )
    secret = re.search(r'value="(dbf_[\w-]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=author)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert token.scope == "write" and token.name == "incident bot"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    again = author_client.get("/account/tokens/").content.decode()
    assert secret not in again and "incident bot" in again and token.hint in again
    answer = Client().get("/api/v1/postmortems", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200


def test_revoking_on_the_page_stops_the_token(author_client, author):
    api = ApiClient(author)
    assert api.get("/postmortems").status_code == 200
    author_client.post(f"/account/tokens/{api.token.pk}/revoke/")
    response = api.get("/postmortems")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication needed")


def test_nobody_revokes_another_persons_token(client, author, outsider):
    api = ApiClient(author)
    client.force_login(outsider)
    assert client.post(f"/account/tokens/{api.token.pk}/revoke/").status_code == 404
    assert api.get("/postmortems").status_code == 200


def test_an_expired_token_gets_401(author):
    api = ApiClient(author, days=1)
    assert api.get("/postmortems").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert api.get("/postmortems").status_code == 401


def test_unknown_and_missing_tokens_get_401_in_the_error_shape(author):
    assert Client().get("/api/v1/postmortems").json() == {
        "detail": "Authentication needed: send a valid token as `Authorization: Bearer <token>`.",
        "errors": [],
    }
    bogus = {"Authorization": "Bearer dbf_not-a-token"}
    assert Client().get("/api/v1/postmortems", headers=bogus).status_code == 401
    assert Client().post("/api/v1/postmortems", {}, headers=bogus).status_code == 401


def test_a_read_token_reads_and_lints_but_cannot_write(author, postmortem):
    api = ApiClient(author, scope="read")
    assert api.get(f"/postmortems/{postmortem.pk}").status_code == 200
    assert api.post("/lint", LINT).status_code == 200
    response = api.post("/postmortems", {"title": "From a read token"})
    assert response.status_code == 403
    assert "scope is read" in response.json()["detail"]
    tag = api.get(f"/postmortems/{postmortem.pk}")["ETag"]
    patch = api.patch(f"/postmortems/{postmortem.pk}", {"title": "x"}, headers={"If-Match": tag})
    assert patch.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.title != "x"


def test_use_is_recorded_as_last_used(author):
    api = ApiClient(author)
    assert api.token.last_used_at is None
    api.get("/postmortems")
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None


def test_over_the_rate_limit_a_token_gets_429_with_retry_after(author, settings):
    settings.API_RATE_LIMIT = "3/min"
    api, other = ApiClient(author), ApiClient(author)
    with time_machine.travel("2026-03-02 14:00:10Z", tick=False):
        assert [api.get("/services").status_code for _ in range(3)] == [200] * 3
        response = api.get("/services")
        assert response.status_code == 429
        assert response["Retry-After"] == "50"
        assert response.json()["detail"] == "Too many requests: try again in 50 s."
        assert other.get("/services").status_code == 200  # counted per token
    with time_machine.travel("2026-03-02 14:01:00Z", tick=False):
        assert api.get("/services").status_code == 200  # a new window


def test_the_browser_session_reads_and_writes_with_its_csrf_token(author):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(author)
    assert browser.get("/api/v1/postmortems").status_code == 200
    body = json.dumps({"title": "From the docs page"})
    refused = browser.post("/api/v1/postmortems", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/account/tokens/")  # sets the CSRF cookie, as any page does
    csrf = browser.cookies["csrftoken"].value
    made = browser.post(
        "/api/v1/postmortems", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert made.status_code == 201


def test_the_tokens_page_needs_a_login(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
