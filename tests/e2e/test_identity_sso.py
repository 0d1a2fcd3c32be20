"""Single sign-on in a real browser: the sign-in page's single sign-on form, the real test
OpenID provider's login page (tests/support/idp/), and back to the helpdesk signed in."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role, User
from identity import services
from identity.models import IdentityProvider, SignInSession
from tests import factories

SLUG = "northwind-sso"


@pytest.fixture
def northwind(transactional_db, live_server, oidc_provider):  # type: ignore[no-untyped-def]
    vendor = factories.vendor("Northwind")
    team = factories.team("Tier 1", vendor=vendor)
    admin = factories.user(role=Role.ADMIN, email="admin@example.com")
    callback = f"{live_server.url}/accounts/sign-in/sso/{SLUG}/callback/"
    client_id, secret = oidc_provider.create_client([callback])
    provider = IdentityProvider(
        name="Northwind Okta",
        slug=SLUG,
        vendor=vendor,
        issuer=oidc_provider.issuer,
        client_id=client_id,
        client_secret=secret,
        scopes="openid email profile groups",
        email_domains=["northwind.example"],
        role_claim="groups",
        role_map={"helpdesk-leads": "lead"},
        team_claim="team",
        team_map={"north-t1": team.slug},
    )
    services.provider_save(actor=admin, provider=provider)
    oidc_provider.create_user(
        "rosa",
        "rosa-password-1",
        "rosa@northwind.example",
        "Rosa Parks",
        groups=["helpdesk-leads"],
        claims={"team": "north-t1"},
    )
    return {"team": team, "provider": provider}


@pytest.mark.parametrize(
    "start",
    [
        "form",  # the sign-in page: the work address, then the provider's link
        "link",  # a bookmark or the company portal's link to the provider's start
    ],
)
def test_a_vendor_lead_signs_in_through_their_provider_for_the_first_time(
    page, northwind, oidc_provider, start
):
    # The test provider has no favicon: its 404 is not ours to fail on.
    page.route(f"{oidc_provider.base_url}/favicon.ico", lambda route: route.fulfill(status=204))
    if start == "form":
        page.goto("/accounts/sign-in/")
        page.get_by_label("Work email address").fill("rosa@northwind.example")
        page.get_by_role("button", name="Continue with single sign-on").click()
        page.get_by_role("link", name="Continue with Northwind Okta").click()
    else:
        page.goto(f"/accounts/sign-in/sso/{SLUG}/")

    # The provider's own login page.
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/login/"))
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("Password").fill("rosa-password-1")
    page.get_by_role("button", name="Sign in").click()

    # Back at the helpdesk, signed in: a lead lands on their dashboard.
    expect(page).to_have_title(re.compile("^Dashboard"))
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/"))
    expect(page.get_by_test_id("role-badge")).to_have_text("Lead")
    expect(page.get_by_role("link", name=re.compile("Rosa Parks"))).to_be_visible()
    page.get_by_test_id("main-nav").get_by_role("link", name="Home").click()
    expect(page.get_by_test_id("home-role")).to_have_text("Lead")
    account = page.get_by_role("region", name="Your account")
    expect(account.locator("dt:has-text('Team') + dd")).to_have_text("Tier 1")
    expect(account.locator("dt:has-text('Company') + dd")).to_have_text("Northwind")

    user = User.objects.get(email="rosa@northwind.example")
    assert (user.role, user.team, user.full_name) == (Role.LEAD, northwind["team"], "Rosa Parks")
    assert SignInSession.objects.get(user=user).method == "sso"


def test_an_sso_only_vendors_password_sign_in_is_refused_and_points_to_their_provider(
    page, northwind, oidc_provider, console_errors
):
    page.route(f"{oidc_provider.base_url}/favicon.ico", lambda route: route.fulfill(status=204))
    admin = User.objects.get(email="admin@example.com")
    services.organisation_policy_save(
        actor=admin, vendor_id=northwind["team"].vendor_id, sso_only=True
    )
    factories.user(team=northwind["team"], email="rosa@northwind.example", full_name="Rosa")

    page.goto("/accounts/sign-in/")
    page.get_by_label("Email address", exact=True).fill("rosa@northwind.example")
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    refusal = page.get_by_test_id("login-error")
    expect(refusal).to_contain_text("single sign-on only")
    expect(page).to_have_url(re.compile("/accounts/sign-in/"))
    assert not SignInSession.objects.filter(user__email="rosa@northwind.example").exists()
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]  # the refusal is a 403, as it should be
    console_errors.clear()
    # The refusal's link is the way in: the provider's login, then back signed in.
    refusal.get_by_role("link", name="Continue with Northwind Okta").click()
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("Password").fill("rosa-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("role-badge")).to_have_text("Lead")
    assert SignInSession.objects.get(user__email="rosa@northwind.example").method == "sso"
