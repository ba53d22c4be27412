"""Every main page and editor state: no serious or critical axe-core violation, and no
sideways scrolling on a 390 px phone."""

from io import StringIO

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import expect

from config.events import announce
from postmortems.models import Postmortem
from reviews.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERNAME
from reviews.services import meeting_create
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
PHONE_WIDTH = 390
# The innermost elements that stick out on the right: where to look when a page is too wide.
WIDEST = """[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && !e.querySelector("*"))
  .slice(0, 4).map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.slice(0, 40)}`)"""


@pytest.fixture
def demo(db) -> dict[str, str]:
    """The demo site `make run` shows, and a URL for each main page of it."""
    call_command("load_demo", stdout=StringIO())
    pm = Postmortem.objects.annotate(n=Count("events")).order_by("-n").first()
    demo_user = get_user_model().objects.get(username=DEMO_USERNAME)
    meeting = meeting_create(
        data={"title": "Weekly incident review", "starts_at": timezone.now()},
        attendees=get_user_model().objects.exclude(pk=demo_user.pk)[:3],
        agenda=Postmortem.objects.order_by("-created_at")[:3],
        facilitator=demo_user,
    )
    item = pm.action_items.first()
    hook = SubscriptionFactory(url="https://hooks.example.com/debrief")
    announce("action_item.overdue", item, today=timezone.localdate())
    return {
        "postmortem list": "/postmortems/",
        "new postmortem": "/postmortems/new/",
        "postmortem": pm.get_absolute_url(),
        "history": f"/postmortems/{pm.pk}/history/",
        "chat import": f"/postmortems/{pm.pk}/timeline/import/",
        "action items": "/actions/",
        "my action items": "/actions/mine/",
        "action item": f"/actions/{item.pk}/",
        "new action item": "/actions/new/",
        "reminder preferences": "/actions/preferences/",
        "API tokens": "/account/tokens/",
        "import postmortems": "/import/",
        "import action items": "/import/action-items/",
        "import jira": f"/import/jira/?postmortem={pm.reference}",
        "meetings": "/reviews/",
        "plan a meeting": "/reviews/new/",
        "meeting": f"/reviews/{meeting.pk}/",
        "present mode": f"/reviews/{meeting.pk}/present/",
        "metrics": "/metrics/",
        "services": "/services/",
        "service": f"/services/{pm.services.first().pk}/",
        "teams": "/teams/",
        "team": "/teams/payments/",
        "new team": "/teams/new/",
        "edit team": "/teams/payments/edit/",
        "webhooks": "/webhooks/",
        "new webhook": "/webhooks/new/",
        "webhook and its log": f"/webhooks/{hook.pk}/",
    }


def _log_in_as_demo(page) -> None:
    # Without transitions, axe reads each colour as it settles, not halfway between a button's
    # hovered and resting look (Bootstrap drops them for people who ask for less motion).
    page.emulate_media(reduced_motion="reduce")
    page.goto("/login/")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/postmortems/")


def _serious(page) -> list[str]:
    violations = AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {node['html'][:160]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"][:5]
    ]


# Ids used twice, labels pointing at nothing, and controls with two labels: axe-core no
# longer reports these, yet they send a screen reader (and a click on a label) astray.
ID_PROBLEMS = """(() => {
  const problems = [];
  const ids = {};
  document.querySelectorAll("[id]").forEach((e) => { ids[e.id] = (ids[e.id] || 0) + 1; });
  Object.entries(ids).filter(([, n]) => n > 1).forEach(([id, n]) => problems.push(`id ${id} x${n}`));
  const labelled = {};
  document.querySelectorAll("label[for]").forEach((label) => {
    const target = label.htmlFor;
    if (!document.getElementById(target)) problems.push(`label for missing #${target}`);
    labelled[target] = (labelled[target] || 0) + 1;
  });
  Object.entries(labelled).filter(([, n]) => n > 1).forEach(([id, n]) => problems.push(`#${id} has ${n} labels`));
  return problems;
})()"""


def _problems(page) -> list[str]:
    return _serious(page) + page.evaluate(ID_PROBLEMS)


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{name}: {problem}" for name, problems in found.items() for problem in problems
    )


def test_main_pages_have_no_serious_accessibility_violations(page, demo):
    _log_in_as_demo(page)
    found = {}
    for name, url in demo.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if problems := _problems(page):
            found[name] = problems
    assert not found, _report(found)


def test_every_editor_of_a_postmortem_is_accessible_and_takes_the_focus(page, demo):
    _log_in_as_demo(page)
    page.goto(demo["postmortem"])
    found = {}
    for section in ("details", "summary", "impact", "lessons"):
        editor = page.locator(f"#section-{section}")
        editor.get_by_role("link", name="Edit").click()
        expect(editor.locator("form")).to_be_visible()
        # Opening an editor puts the keyboard in it, not on <body>.
        expect(editor.locator("form :focus")).to_have_count(1)
        if problems := _problems(page):
            found[section] = problems
        editor.get_by_role("link", name="Cancel").click()
        expect(editor.locator("form")).to_have_count(0)
    for summary in ("Add an event", "Add an action item"):
        page.get_by_text(summary, exact=True).click()
        if problems := _problems(page):
            found[summary] = problems
    page.locator("#timeline").get_by_role("button", name="Edit").first.click()
    expect(page.locator("#timeline form").first).to_be_visible()
    if problems := _problems(page):
        found["edit an event"] = problems
    assert not found, _report(found)


def test_no_main_page_scrolls_sideways_on_a_phone(browser, live_server, demo):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": PHONE_WIDTH, "height": 844}
    )
    page = context.new_page()
    _log_in_as_demo(page)
    wide = {}
    for name, url in demo.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            wide[name] = (width, page.evaluate(WIDEST))
    # The list of action items starts on the first screen, with each row's owner in view.
    page.goto("/actions/")
    first_row = page.locator(".action-table tbody tr").first.bounding_box()
    owner = page.locator(".action-table tbody tr td:nth-child(5)").first.bounding_box()
    context.close()
    assert not wide, f"wider than {PHONE_WIDTH} px: {wide}"
    assert first_row["y"] < 844, "the filters push the first action item off the first screen"
    assert owner["x"] + owner["width"] <= PHONE_WIDTH, "the owner column is cut off"
