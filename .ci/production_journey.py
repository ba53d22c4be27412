"""The browser half of .ci/production-smoke: a person's first steps on a production server.

Usage: production_journey.py BASE_URL USERNAME PASSWORD

Logs in, creates a postmortem, gives it an action item that is already overdue (owned by the
person, whose reminders go out from 00:00, so that a sweep sends one at any hour), and opens
the action items, reviews and metrics pages. Exits 1 on any answer of 500 or more, any
JavaScript error or console error (a Content-Security-Policy violation is one), or a chart
that Chart.js did not draw.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def journey(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/postmortems/")

    title = "Smoke test: checkout errors after a deploy"
    page.get_by_role("link", name="New postmortem").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Severity").select_option(label="SEV2")
    started = datetime.now(UTC) - timedelta(hours=3)
    page.get_by_label("Impact started").fill(started.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Create postmortem").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()

    section = page.locator("#action-items")
    section.get_by_text("Add an action item").click()
    section.get_by_label("Title").fill("Alert on checkout error rate above 2%")
    # A new item starts owned by the person adding it, here the only person on the site.
    expect(section.locator("select[name='owner']")).not_to_have_value("")
    section.get_by_label("Priority").select_option("P1")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    section.get_by_label("Due date").fill(yesterday.isoformat())
    section.get_by_role("button", name="Add action item").click()
    expect(section.locator(".action-item", has_text="Alert on checkout error rate")).to_be_visible()

    page.goto(base_url + "/actions/preferences/")
    page.get_by_label("Send at").select_option(label="00:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Send at")).to_have_value("0")

    page.goto(base_url + "/actions/")
    expect(page.get_by_text("Alert on checkout error rate").first).to_be_visible()
    page.goto(base_url + "/reviews/")
    page.goto(base_url + "/metrics/")
    canvases = page.locator("canvas")
    expect(canvases.first).to_be_visible()
    drawn = canvases.evaluate_all("all => all.filter(c => Chart.getChart(c)).length")
    if drawn != canvases.count() or drawn == 0:
        raise AssertionError(f"Chart.js drew {drawn} of {canvases.count()} charts")


def main() -> int:
    base_url, username, password = sys.argv[1:4]
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # gunicorn serves TLS with the smoke test's own self-signed certificate.
        context = browser.new_context(ignore_https_errors=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type} on {page.url}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                problems.append(f"{response.status} from {response.url}")
                if response.status >= 500
                else None
            ),
        )
        try:
            journey(page, base_url, username, password)
        except Exception:
            page.screenshot(path=os.environ.get("SMOKE_SCREENSHOT", "/tmp/smoke-failure.png"))
            raise
        finally:
            browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"Browser journey: {'failed' if problems else 'ok'} ({len(problems)} problems)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
