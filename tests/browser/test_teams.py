import pytest
from playwright.sync_api import expect

from postmortems.models import Postmortem
from teams.models import Team
from tests.browser.conftest import choose, log_in
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_make_a_team_give_it_a_service_and_its_postmortems_are_the_teams(page, author):
    UserFactory(username="lead", first_name="Lea", last_name="Lead", is_staff=True)
    ServiceFactory(name="checkout")
    log_in(page, "lead")

    page.get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="New team").click()
    page.get_by_label("Name").fill("Payments")
    choose(page, "Members", "Ada Author (author)")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save team").click()
    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    expect(page.locator("#members-heading + ul")).to_contain_text("Ada Author")

    page.get_by_role("link", name="Services").click()
    page.get_by_role("link", name="checkout").click()
    page.get_by_role("link", name="Edit").click()
    choose(page, "Owning team", "Payments")
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_text("team Payments")).to_be_visible()

    page.get_by_role("link", name="New postmortem").first.click()
    page.get_by_label("Title").fill("Card declines at checkout")
    page.get_by_label("checkout").check()
    page.get_by_role("button", name="Create postmortem").click()
    expect(page.locator("[data-owning-team]")).to_have_text("Payments")
    assert Postmortem.objects.get().team == Team.objects.get(slug="payments")

    page.locator("[data-owning-team]").click()
    expect(page.locator("#postmortems-heading ~ div")).to_contain_text("Card declines at checkout")
