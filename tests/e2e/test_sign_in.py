import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

LEAD_NAV = [
    "Home",
    "Queue",
    "Reports",
    "Chats",
    "SOPs",
    "Escalations",
    "Incidents",
    "Dashboard",
    "Ratings",
    "QA reviews",
    "Wellbeing",
    "People",
]
AGENT_NAV = [
    "Home",
    "Queue",
    "Reports",
    "Chats",
    "SOPs",
    "Escalations",
    "Incidents",
    "Ratings",
    "QA reviews",
    "Wellbeing",
]
NAV = {
    "agent@example.com": AGENT_NAV,
    "northwind.agent@example.com": AGENT_NAV,
    "lead@example.com": LEAD_NAV,
    "atlas.lead@example.com": LEAD_NAV,
    "admin@example.com": [
        "Home",
        "Queue",
        "Reports",
        "Chats",
        "SOPs",
        "Escalations",
        "Incidents",
        "Dashboard",
        "Ratings",
        "QA reviews",
        "Wellbeing",
        "People",
        "Access",
        "Privacy",
        "Administration",
    ],
}
ROLE = {"agent": "Agent", "lead": "Lead", "admin": "Admin"}


@pytest.mark.parametrize("email", list(NAV))
def test_each_demo_role_signs_in_and_sees_its_navigation(page, demo_org, email):
    sign_in(page, email)
    role = "admin" if "admin" in email else "lead" if "lead" in email else "agent"
    # A lead's and an admin's home is their dashboard; an agent's is Home.
    expect(page).to_have_title(re.compile("^Home · Helpdesk" if role == "agent" else "^Dashboard"))
    expect(page.get_by_test_id("main-nav").get_by_role("link")).to_have_text(NAV[email])
    expect(page.get_by_test_id("role-badge")).to_have_text(ROLE[role])

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/accounts/sign-in/"))


def test_a_wrong_password_shows_an_error_and_repeated_failures_lock_out(
    page, demo_org, console_errors
):
    sign_in(page, "agent@example.com", "not-the-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("do not match an account")
    for _ in range(4):
        sign_in(page, "agent@example.com", "not-the-password")
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    expect(page).to_have_title(re.compile("Too many sign-in attempts"))
    # The lock-out page comes with status 429, which the browser logs as an error.
    assert all("429" in error for error in console_errors)
    console_errors.clear()


def test_arabic_renders_right_to_left(page, demo_org):
    sign_in(page, "lead@example.com")
    page.get_by_label("Language").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    # The navigation really is laid out right to left: the brand sits on the right.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > page.viewport_size["width"] / 2


def test_a_lead_searches_people_without_a_full_reload(page, demo_org):
    sign_in(page, "northwind.lead@example.com")
    page.get_by_role("link", name="People").click()
    expect(page).to_have_title(re.compile("^People"))
    expect(page.get_by_test_id("roster-row")).to_have_count(2)
    page.get_by_label("Search by name or email").fill("grace")
    expect(page.get_by_test_id("roster-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=grace"))


def test_the_keyboard_reaches_main_content_first(page, demo_org):
    sign_in(page, "agent@example.com")
    expect(page).to_have_title(re.compile("^Home"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
