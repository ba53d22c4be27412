import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import ApiToken
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_makes_a_token_copies_it_once_and_revokes_it(page, author):
    log_in(page, "author")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("incident bot")
    page.get_by_label("Write: read, create and change").check()
    page.get_by_label("Expires in").select_option("30")
    page.get_by_role("button", name="Create token").click()

    secret_box = page.get_by_label("Your new token")
    secret = secret_box.input_value()
    assert secret.startswith("dbf_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    bearer = {"Authorization": f"Bearer {secret}"}
    assert Client().get("/api/v1/postmortems", headers=bearer).status_code == 200

    page.reload()
    expect(page.get_by_label("Your new token")).to_have_count(0)  # shown once
    row = page.locator("#tokens tr", has_text="incident bot")
    expect(row).to_contain_text(secret[:8])
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token “incident bot” revoked")).to_be_visible()
    expect(row).to_contain_text("Revoked")
    assert ApiToken.objects.get().revoked_at is not None
    assert Client().get("/api/v1/postmortems", headers=bearer).status_code == 401
