import os
import shutil
import time
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        message = "No Chromium found (install Debian's `chromium` or set CHROMIUM_PATH)."
        if os.environ.get("CI") == "true":
            pytest.fail(message + " CI must run the browser tests.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    in_flight: set = set()
    context.on("request", lambda request: in_flight.add(request))
    context.on("requestfinished", lambda request: in_flight.discard(request))
    context.on("requestfailed", lambda request: in_flight.discard(request))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    # Let requests still in flight (an autosave, a lint) finish before the test's database is
    # emptied: a write racing the flush deadlocks it on PostgreSQL.
    deadline = time.monotonic() + 5
    while in_flight and context.pages and time.monotonic() < deadline:
        context.pages[0].wait_for_timeout(50)
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/postmortems/")


def choose(scope, label: str, option: str) -> None:
    """Pick `option` in a searchable picker (Tom Select) as a person does: type, then click."""
    page = getattr(scope, "page", scope)
    combobox = page.get_by_role("combobox", name=label)
    scope.locator(".ts-wrapper", has=combobox).click()
    # Type into the search input itself: typing at whatever holds focus lost keys when the
    # dropdown had not yet moved focus there.
    combobox.press_sequentially(option)
    scope.get_by_role("option", name=option, exact=True).click()
