"""Single sign-on end to end against the real test OpenID provider (tests/support/idp/):
our views through Django's test client, the person's browser at the provider through
httpx, and our server exchanging the code with the provider over HTTP. No mocks."""

import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from accounts import services as accounts
from accounts.models import Role, User
from identity import services
from identity.models import ExternalIdentity, IdentityProvider, SecurityEvent, SignInSession
from tests import factories

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/sign-in/"
SSO_FIND = "/accounts/sign-in/sso/"
PASSWORD = "provider-password-1"


def callback_url(slug: str, base: str = "http://testserver") -> str:
    return f"{base}/accounts/sign-in/sso/{slug}/callback/"


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the provider's page:\n{html}"
    return unescape(found.group(1))


def at_provider(authorize_url: str, username: str, password: str, callback: str) -> str:
    """What the person's browser does at the provider: follow its redirects to its login
    page, sign in there, follow its redirects until it sends them back to our callback.
    Returns that callback URL (with code, state and iss)."""
    posted = False
    with httpx.Client(follow_redirects=False, timeout=10, cookies=httpx.Cookies()) as http:
        response = http.get(authorize_url)
        for _ in range(12):
            if response.is_redirect:
                url = urljoin(str(response.url), response.headers["location"])
                if url.startswith(callback):
                    return url
                response = http.get(url)
            elif response.status_code == 200 and 'name="password"' in response.text:
                assert not posted, f"the provider refused {username}'s sign-in:\n{response.text}"
                assert http.cookies.get("idp_csrftoken"), "the login page set no CSRF cookie"
                posted = True
                response = http.post(
                    str(response.url),
                    data={
                        "csrfmiddlewaretoken": _hidden(response.text, "csrfmiddlewaretoken"),
                        "username": username,
                        "password": password,
                        "next": _hidden(response.text, "next"),
                    },
                )
            else:
                raise AssertionError(
                    f"the provider answered {response.status_code}:\n{response.text}"
                )
    raise AssertionError("the provider never sent the browser back to our callback")


def local(url: str) -> str:
    """The path and query of one of our absolute URLs, for the test client."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def sso_redirect_to_callback(client, slug, username, password=PASSWORD, *, start=None):  # type: ignore[no-untyped-def]
    """Our start (or `start`, a path that leads to it) and the person's sign-in at the
    provider: the callback URL the provider sends the browser back to."""
    response = client.get(start or f"/accounts/sign-in/sso/{slug}/")
    if response["Location"] == f"/accounts/sign-in/sso/{slug}/":  # the find form's answer
        response = client.get(response["Location"])
    assert response.status_code == 302, response
    assert not response["Location"].startswith("/"), f"not sent to the provider: {response}"
    return at_provider(response["Location"], username, password, callback_url(slug))


def sso_sign_in(client, slug, username, password=PASSWORD, **kwargs):  # type: ignore[no-untyped-def]
    """The whole dance: our callback's response."""
    back = sso_redirect_to_callback(client, slug, username, password, **kwargs)
    return client.get(local(back))


def kinds(user):  # type: ignore[no-untyped-def]
    return list(
        SecurityEvent.objects.filter(user=user).order_by("id").values_list("kind", flat=True)
    )


def refusals():  # type: ignore[no-untyped-def]
    return list(
        SecurityEvent.objects.filter(kind="sso_refused")
        .order_by("id")
        .values_list("detail", flat=True)
    )


def signed_in_as(client) -> int | None:  # type: ignore[no-untyped-def]
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def shown(client, response) -> str:  # type: ignore[no-untyped-def]
    """The page a redirect leads to, as text (where the messages are shown)."""
    assert response.status_code == 302, response
    page = client.get(response["Location"])
    assert page.status_code == 200
    return unescape(page.content.decode())


@pytest.fixture
def make_provider(org, oidc_provider):  # type: ignore[no-untyped-def]
    """An identity provider row for a new client registered at the test provider."""

    def make(*, vendor="north", domains=("north.example",), **fields):  # type: ignore[no-untyped-def]
        slug = fields.pop("slug", f"idp-{secrets.token_hex(4)}")
        client_id, secret = oidc_provider.create_client([callback_url(slug)])
        row = IdentityProvider(
            name=fields.pop("name", "Northwind Okta"),
            slug=slug,
            vendor=org["vendors"][vendor] if vendor else None,
            issuer=oidc_provider.issuer,
            client_id=client_id,
            client_secret=secret,
            scopes="openid email profile groups",
            email_domains=list(domains),
            **fields,
        )
        return services.provider_save(actor=org["people"]["admin"], provider=row)

    return make


@pytest.fixture
def person(oidc_provider):  # type: ignore[no-untyped-def]
    """A person at the test provider (a fresh username per test): (username, sub)."""

    def make(email, name, groups=(), claims=None, username=None):  # type: ignore[no-untyped-def]
        username = username or f"{email.partition('@')[0]}-{secrets.token_hex(4)}"
        sub = oidc_provider.create_user(username, PASSWORD, email, name, groups, claims)
        return username, sub

    return make


@pytest.fixture
def north_provider(org, make_provider):  # type: ignore[no-untyped-def]
    teams = org["teams"]
    return make_provider(
        role_claim="groups",
        role_map={"helpdesk-leads": "lead", "helpdesk-admins": "admin"},
        team_claim="team",
        team_map={
            "north-t1": teams["north"].slug,
            "north-t2": teams["north2"].slug,
            "mena": teams["atlas"].slug,
            "tns": teams["inhouse"].slug,
        },
    )


def test_the_first_sign_in_creates_the_account_with_name_role_and_team_from_the_claims(
    client, org, north_provider, person
):
    username, sub = person(
        "Ada.Byron@North.example",
        "Ada Byron",
        groups=["helpdesk-leads", "staff"],
        claims={"team": "north-t1"},
    )
    assert not User.objects.filter(email="ada.byron@north.example").exists()

    response = sso_sign_in(client, north_provider.slug, username)

    user = User.objects.get(email="ada.byron@north.example")
    assert (user.full_name, user.role, user.team) == ("Ada Byron", Role.LEAD, org["teams"]["north"])
    assert user.is_active and not user.has_usable_password()
    # A lead lands on their home, the dashboard, signed in.
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:dashboard")
    assert signed_in_as(client) == user.pk
    assert client.get(response["Location"]).status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert "Welcome, Ada" in home
    assert re.search(
        r'data-testid="home-role">Lead</dd>\s*<dt[^>]*>Team</dt><dd[^>]*>Tier 1<', home
    )
    record = SignInSession.objects.get(user=user)
    assert record.method == "sso" and record.session_key == client.session.session_key
    link = ExternalIdentity.objects.get(provider=north_provider, subject=sub)
    assert link.user == user
    assert link.claims["team"] == "north-t1" and "nonce" not in link.claims
    assert kinds(user) == ["account_created", "signed_in"]


def test_the_next_sign_in_updates_role_team_and_name_when_the_claims_change(
    client, org, north_provider, person, oidc_provider
):
    username, sub = person("grace@north.example", "Grace H", claims={"team": "north-t1"})
    sso_sign_in(client, north_provider.slug, username)
    user = User.objects.get(email="grace@north.example")
    assert (user.role, user.team) == (Role.AGENT, org["teams"]["north"])
    client.post("/accounts/sign-out/")
    assert signed_in_as(client) is None

    oidc_provider.create_user(
        username,
        PASSWORD,
        "grace@north.example",
        "Grace Hopper",
        groups=["helpdesk-leads"],
        claims={"team": "north-t2"},
    )
    response = sso_sign_in(client, north_provider.slug, username)

    assert response["Location"] == reverse("analytics:dashboard")
    user.refresh_from_db()
    assert (user.full_name, user.role, user.team) == (
        "Grace Hopper",
        Role.LEAD,
        org["teams"]["north2"],
    )
    assert signed_in_as(client) == user.pk
    assert User.objects.filter(email="grace@north.example").count() == 1
    assert ExternalIdentity.objects.get(provider=north_provider, subject=sub).user == user
    assert kinds(user).count("account_created") == 1
    assert kinds(user).count("signed_in") == 2
    assert SignInSession.objects.filter(user=user, method="sso").count() == 2


def test_someone_deactivated_in_the_helpdesk_is_refused_at_the_next_sso_sign_in(
    client, org, north_provider, person
):
    username, _sub = person("lin@north.example", "Lin", claims={"team": "north-t1"})
    sso_sign_in(client, north_provider.slug, username)
    user = User.objects.get(email="lin@north.example")
    client.post("/accounts/sign-out/")
    accounts.user_update(actor=org["people"]["admin"], user=user, is_active=False)

    response = sso_sign_in(client, north_provider.slug, username)

    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None
    assert "This account is inactive. Ask your lead or an admin to reactivate it." in shown(
        client, response
    )
    user.refresh_from_db()
    assert not user.is_active  # the provider does not bring them back
    assert SignInSession.objects.filter(user=user).count() == 1
    [refusal] = refusals()
    assert refusal["provider"] == north_provider.slug and "inactive" in refusal["reason"]


def test_a_vendors_provider_makes_a_lead_at_most_never_an_admin(
    client, org, north_provider, person
):
    username, _sub = person(
        "max@north.example", "Max", groups=["helpdesk-admins"], claims={"team": "north-t1"}
    )

    response = sso_sign_in(client, north_provider.slug, username)

    user = User.objects.get(email="max@north.example")
    assert user.role == Role.LEAD and not user.is_admin and not user.is_staff
    assert user.team == org["teams"]["north"]
    assert signed_in_as(client) == user.pk
    assert response["Location"] == reverse("analytics:dashboard")


@pytest.mark.parametrize("claimed", ["mena", "tns"])
def test_a_vendors_provider_cannot_put_someone_in_another_organisations_team(
    client, org, north_provider, person, claimed
):
    username, _sub = person("eve@north.example", "Eve", claims={"team": claimed})

    response = sso_sign_in(client, north_provider.slug, username)

    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None
    assert not User.objects.filter(email="eve@north.example").exists()
    assert not ExternalIdentity.objects.filter(provider=north_provider).exists()
    assert "did not give you a team of your organisation" in shown(client, response)
    [refusal] = refusals()
    assert "team of your organisation" in refusal["reason"]


@pytest.mark.parametrize("owner", ["inhouse_agent", "admin", "atlas_lead"])
def test_a_vendors_provider_cannot_take_over_an_account_outside_the_vendor(
    client, org, north_provider, person, owner
):
    existing = org["people"][owner]
    before = (existing.role, existing.team_id, existing.full_name)
    # Offered for the helpdesk's own domain too (by mistake, or a domain both share): the
    # account's organisation, not the address's domain, is what stops the provider.
    north_provider.email_domains = ["north.example", "example.com"]
    services.provider_save(actor=org["people"]["admin"], provider=north_provider)
    username, _sub = person(
        existing.email, "Mallory", groups=["helpdesk-leads"], claims={"team": "north-t1"}
    )

    response = sso_sign_in(client, north_provider.slug, username)

    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None
    assert "belongs to an account your identity provider cannot sign in to" in shown(
        client, response
    )
    existing.refresh_from_db()
    assert (existing.role, existing.team_id, existing.full_name) == before
    assert not ExternalIdentity.objects.filter(user=existing).exists()
    assert not SignInSession.objects.filter(user=existing).exists()
    assert len(refusals()) == 1


def test_the_single_sign_on_form_goes_to_the_provider_of_the_address_domain(
    client, org, north_provider, make_provider, person, oidc_provider
):
    make_provider(
        vendor="atlas",
        domains=["atlas.example"],
        name="Atlas Entra",
        default_team=org["teams"]["atlas"],
    )
    found = client.post(SSO_FIND, {"email": "Someone@NORTH.example"})
    # A page with the provider's link (a redirect would be stopped by the page's CSP).
    start = f"/accounts/sign-in/sso/{north_provider.slug}/"
    assert found.status_code == 200 and found.context["sso_provider"] == north_provider
    assert f'href="{start}"' in found.content.decode()
    to_provider = client.get(start)
    assert to_provider.status_code == 302
    authorize = urlsplit(to_provider["Location"])
    assert to_provider["Location"].startswith(oidc_provider.issuer + "/")
    query = parse_qs(authorize.query)
    assert query["client_id"] == [north_provider.client_id]
    assert query["redirect_uri"] == [callback_url(north_provider.slug)]
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]

    # And from there the whole way in.
    username, _sub = person("someone@north.example", "Someone", claims={"team": "north-t1"})
    response = sso_sign_in(client, north_provider.slug, username, start=start)
    assert signed_in_as(client) == User.objects.get(email="someone@north.example").pk
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("email", ["someone@elsewhere.example", "north.example", ""])
def test_the_single_sign_on_form_says_when_an_address_has_no_single_sign_on(
    client, north_provider, email
):
    response = client.post(SSO_FIND, {"email": email})
    assert response["Location"] == LOGIN
    assert "No single sign-on is set up for that address" in shown(client, response)
    assert signed_in_as(client) is None


def test_an_sso_only_vendors_person_cannot_use_a_password_but_signs_in_through_sso(
    client, org, north_provider, person
):
    kim = factories.user(team=org["teams"]["north"], email="kim@north.example", full_name="Kim")
    services.organisation_policy_save(
        actor=org["people"]["admin"], vendor_id=org["vendors"]["north"].pk, sso_only=True
    )

    refused = client.post(LOGIN, {"username": kim.email, "password": factories.PASSWORD})

    assert refused.status_code == 403
    page = unescape(refused.content.decode())
    assert "single sign-on only" in page
    assert "Continue with Northwind Okta" in page
    assert f'href="/accounts/sign-in/sso/{north_provider.slug}/"' in page
    assert signed_in_as(client) is None
    assert kinds(kim) == ["password_refused"]

    username, sub = person("kim@north.example", "Kim", claims={"team": "north-t1"})
    response = sso_sign_in(client, north_provider.slug, username)

    assert response["Location"] == reverse("home")
    assert signed_in_as(client) == kim.pk  # the same account, linked by its address
    assert ExternalIdentity.objects.get(provider=north_provider, subject=sub).user == kim
    assert SignInSession.objects.get(user=kim).method == "sso"
    assert kinds(kim) == ["password_refused", "signed_in"]


def test_a_tampered_state_is_refused_without_signing_in(client, org, north_provider, person):
    username, _sub = person("tam@north.example", "Tam", claims={"team": "north-t1"})
    back = urlsplit(sso_redirect_to_callback(client, north_provider.slug, username))
    query = parse_qs(back.query)
    query["state"] = [secrets.token_urlsafe(30)]
    tampered = urlunsplit(("", "", back.path, urlencode(query, doseq=True), ""))

    response = client.get(tampered)

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert signed_in_as(client) is None
    assert not User.objects.filter(email="tam@north.example").exists()
    assert "Single sign-on did not complete. Try again." in shown(client, response)
    [refusal] = refusals()
    assert refusal["provider"] == north_provider.slug and "State" in refusal["reason"]


def test_a_callback_carried_to_another_browser_is_refused(client, org, north_provider, person):
    """Login CSRF: a code and state the attacker obtained do not sign in someone else's
    browser, which never started that sign-in."""
    username, _sub = person("att@north.example", "Attacker", claims={"team": "north-t1"})
    back = sso_redirect_to_callback(Client(), north_provider.slug, username)

    response = client.get(local(back))

    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None
    assert not User.objects.filter(email="att@north.example").exists()
    assert len(refusals()) == 1


def test_a_vendors_provider_cannot_sign_in_someone_who_has_since_left_the_vendor(
    client, org, north_provider, person
):
    username, _sub = person("sam@north.example", "Sam", claims={"team": "north-t1"})
    sso_sign_in(client, north_provider.slug, username)
    sam = User.objects.get(email="sam@north.example")
    client.post("/accounts/sign-out/")
    # Hired in-house: now outside Northwind, whose provider still knows Sam's subject.
    accounts.user_update(actor=org["people"]["admin"], user=sam, team=org["teams"]["inhouse"])

    response = sso_sign_in(client, north_provider.slug, username)

    sam.refresh_from_db()
    assert sam.team == org["teams"]["inhouse"]
    assert signed_in_as(client) is None
    assert response["Location"] == LOGIN
    assert len(refusals()) == 1
