"""Signing in through the browser: an authenticator app and a security key (Chromium's
virtual WebAuthn authenticator) as second factors, the hold on a lead who has not
enrolled, a vendor's office networks, and an idle session's end."""

from __future__ import annotations

import base64
import re
import time
from importlib import import_module
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django_otp.oath import hotp
from playwright.sync_api import expect

from accounts.models import Role
from identity import policy, services
from identity.models import RolePolicy, SecurityKey, SignInSession
from tests import factories

STEP = 30  # seconds: an authenticator app's window (django-otp's TOTPDevice.step)


@pytest.fixture(autouse=True)
def _fresh_policies():
    """Each test reads the policies of its own database (the live server runs in this
    process and keeps a copy for some seconds)."""
    policy.forget()
    yield
    policy.forget()


def sign_in(page, email: str, base: str = "") -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/$"))


def app_code(secret: str, *, after: int = -1) -> tuple[str, int]:
    """What an authenticator app given the key shows: the code of the current 30-second
    window, or of the window after ``after`` (a code already used) when that is later:
    the app's next code, which django-otp accepts one window early."""
    raw = secret.replace(" ", "").upper()
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    window = max(int(time.time()) // STEP, after + 1)
    return f"{hotp(key, window):06d}", window


def enrol_an_app(page) -> tuple[int, str]:
    """On the security page (or the enrolment hold): add an app with the key it shows.
    Returns the window of the code used and the key."""
    page.get_by_role("button", name="Add an authenticator app").click()
    secret = page.get_by_test_id("totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret), secret
    code, window = app_code(secret)
    page.get_by_label("Code from the app").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    return window, secret


def expect_home(page, live_server) -> None:
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page).to_have_title(re.compile("^Home"))
    expect(page.get_by_test_id("role-badge")).to_have_text("Agent")


def only_403s(console_errors: list[str]) -> None:
    """The browser logs a page answered with 403 as an error: those are expected."""
    assert console_errors and all("403" in error for error in console_errors), console_errors
    console_errors.clear()


def test_someone_enrols_an_authenticator_app_and_signs_in_again_with_a_code_from_it(
    page, live_server
):
    agent = factories.user()
    sign_in(page, agent.email)
    expect_home(page, live_server)
    page.goto("/accounts/security/")
    used, secret = enrol_an_app(page)
    assert agent.totpdevice_set.filter(confirmed=True).count() == 1

    sign_out(page)
    sign_in(page, agent.email)
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/verify/$"))
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    # The code used to confirm the app cannot be used again: the app's next one.
    page.get_by_label("Code", exact=True).fill(app_code(secret, after=used)[0])
    page.get_by_role("button", name="Verify").click()
    expect_home(page, live_server)
    latest = SignInSession.objects.filter(user=agent).latest("id")
    assert latest.method == SignInSession.Method.SECOND_FACTOR and latest.ended_at is None


def test_a_lead_without_a_second_factor_is_held_at_enrolment_until_they_add_one(page, live_server):
    # The product's default (identity's migration), whatever an earlier test left.
    RolePolicy.objects.update_or_create(role=Role.LEAD, defaults={"require_second_factor": True})
    policy.forget()
    lead = factories.user(role=Role.LEAD)
    page.goto("/tickets/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/tickets/$"))
    page.get_by_label("Email address").fill(lead.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/security/enrol/")
    expect(page.get_by_test_id("enrol-hold")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second factor")

    page.goto("/tickets/")
    expect(page).to_have_url(f"{live_server.url}/accounts/security/enrol/")
    expect(page.get_by_test_id("enrol-hold")).to_be_visible()

    enrol_an_app(page)
    page.get_by_role("link", name="I have kept them").click()
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    expect(page.get_by_test_id("enrol-hold")).to_have_count(0)
    expect(page.get_by_test_id("role-badge")).to_have_text("Lead")


def test_someone_adds_a_security_key_and_signs_in_with_it(page, live_server):
    # WebAuthn refuses an IP address as the relying party: the site must be a name.
    port = urlsplit(live_server.url).port
    site = f"http://localhost:{port}"
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    agent = factories.user()
    sign_in(page, agent.email, site)
    expect(page).to_have_url(f"{site}/")
    page.goto(f"{site}/accounts/security/")
    page.get_by_label("Name of the security key").fill("Blue key")
    page.get_by_role("button", name="Add a security key or passkey").click()
    codes = page.locator("[data-webauthn-codes]")
    expect(codes).to_be_visible()
    expect(codes.locator("li")).to_have_count(10)
    key = SecurityKey.objects.get(user=agent)
    assert key.name == "Blue key" and key.last_used_at is None
    codes.get_by_role("link", name="I have kept them").click()
    expect(page.get_by_test_id("security-key")).to_have_count(1)
    expect(page.get_by_test_id("security-key")).to_contain_text("Blue key")

    sign_out(page)
    sign_in(page, agent.email, site)
    expect(page).to_have_url(f"{site}/accounts/sign-in/verify/")
    page.get_by_role("button", name="Use my security key").click()
    expect(page).to_have_url(f"{site}/")
    expect(page.get_by_test_id("role-badge")).to_have_text("Agent")
    used = SecurityKey.objects.get(pk=key.pk)
    assert used.last_used_at is not None
    assert used.sign_count > key.sign_count
    latest = SignInSession.objects.filter(user=agent).latest("id")
    assert latest.method == SignInSession.Method.SECOND_FACTOR


def test_an_address_outside_a_vendors_networks_is_refused_at_sign_in_on_pages_and_on_the_api(
    page, live_server, console_errors
):
    admin = factories.user(role=Role.ADMIN)
    vendor = factories.vendor()
    agent = factories.user(team=factories.team(vendor=vendor))
    key = factories.api_key(agent)
    api = f"{live_server.url}/api/v1/queues/"
    token = {"Authorization": f"Token {key}"}

    def networks(*values: str) -> None:
        services.organisation_policy_save(actor=admin, vendor_id=vendor.pk, networks=list(values))
        policy.forget()  # the live server is a thread of this process

    networks("198.51.100.0/24")
    sign_in(page, agent.email)
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/$"))
    expect(page.get_by_test_id("login-error")).to_contain_text("127.0.0.1")
    expect(page.get_by_test_id("role-badge")).to_have_count(0)

    networks("127.0.0.0/8")
    sign_in(page, agent.email)
    expect_home(page, live_server)
    assert page.request.get(api, headers=token).status == 200

    networks("198.51.100.0/24")
    page.goto("/tickets/")
    expect(page).to_have_title(re.compile("^Not from this network"))
    expect(page.get_by_test_id("refused")).to_contain_text("127.0.0.1")
    page.context.clear_cookies()  # the token alone, not the signed-in session
    response = page.request.get(api, headers=token)
    assert response.status == 403
    assert "127.0.0.1" in response.json()["detail"]
    only_403s(console_errors)


def test_a_session_left_idle_past_its_limit_ends_and_the_next_page_says_so(page, live_server):
    agent = factories.user()
    sign_in(page, agent.email)
    expect_home(page, live_server)
    page.wait_for_load_state("networkidle")  # nothing in flight rewrites the session
    record = SignInSession.objects.get(user=agent, ended_at__isnull=True)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=record.session_key)
    data = store[services.SESSION_KEY]
    data["seen"] = time.time() - float(data["idle"]) - 60
    store[services.SESSION_KEY] = data
    store.save()  # cached_db: the database and the cache

    page.goto("/tickets/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/\?next=/tickets/$"))
    expect(page.get_by_text("You were signed out after a time without activity.")).to_be_visible()
    record.refresh_from_db()
    assert record.ended_at is not None and record.end_reason == "idle"
