"""Real-browser tests: Playwright driving the system's headless Chromium.

Playwright cannot download its own browser here, so we launch the Chromium at
CHROMIUM_PATH (Debian's package by default; scripts/ensure-chromium installs it).
"""

import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; the Django ORM calls
# the tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: run scripts/ensure-chromium or set CHROMIUM_PATH "
            "(make test-fast skips the browser tests)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def console_errors():
    """Script errors and failed loads seen by the page; a test may clear expected ones."""
    return []


@pytest.fixture(autouse=True)
def _requests_done_before_the_flush(transactional_db, live_server):
    """Wait, after a test, for the live server's requests still running (a page's last
    poll or heartbeat, sent as its browser closed): the database is emptied next, and a
    request in the middle of that deadlocked the flush on a loaded machine."""
    yield
    httpd = getattr(getattr(live_server, "thread", None), "httpd", None)
    deadline = time.monotonic() + 5
    for thread in list(getattr(httpd, "_threads", None) or []):
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


@pytest.fixture
def page(browser, live_server, request, console_errors):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = console_errors
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    # A Content-Security-Policy violation or a script error is a test failure.
    assert errors == [], errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture
def demo_org(transactional_db):
    call_command("seed_demo", "--quiet-logins")


def sign_in(page, email, password="helpdesk-demo"):  # noqa: S107 - the documented demo password
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
