"""Signing in with a second factor, the hold on someone who must enrol one, SSO-only
organisations and office networks, through the real views."""

import time

import pytest
from django.urls import reverse

from accounts.models import Role
from identity import services
from identity.models import IdentityProvider, SecurityEvent, SignInSession
from tests import factories
from tests.identity.conftest import code_for, enrolled

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/sign-in/"
VERIFY = "/accounts/sign-in/verify/"


def sign_in(client, user, **extra):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": user.email, "password": factories.PASSWORD}, **extra)


def kinds(user):  # type: ignore[no-untyped-def]
    return list(
        SecurityEvent.objects.filter(user=user).order_by("id").values_list("kind", flat=True)
    )


def test_without_a_second_factor_an_agent_signs_in_with_the_password(client):
    agent = factories.user()
    assert sign_in(client, agent)["Location"] == reverse("home")
    record = SignInSession.objects.get(user=agent)
    assert record.method == "password" and record.session_key == client.session.session_key
    assert kinds(agent) == ["signed_in"]


def test_with_an_app_the_password_leads_to_the_second_step_and_a_code_signs_in(client):
    agent = factories.user()
    device = enrolled(agent)
    response = sign_in(client, agent)
    assert response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session
    assert client.get("/tickets/").status_code == 302  # not signed in yet
    wrong = client.post(VERIFY, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    time.sleep(1.1)  # django-otp: after a wrong code the app waits 1 s, then 2, 4…
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == reverse("home")
    assert SignInSession.objects.get(user=agent).method == "second_factor"
    assert kinds(agent)[-2:] == ["second_factor_failed", "signed_in"]


def test_a_recovery_code_signs_in_once(client):
    agent = factories.user()
    enrolled(agent)
    code = services.recovery_codes_make(user=agent)[0]
    sign_in(client, agent)
    assert client.post(VERIFY, {"code": code.upper()})["Location"] == reverse("home")
    client.post("/accounts/sign-out/")
    sign_in(client, agent)
    assert client.post(VERIFY, {"code": code}).status_code == 200  # used up
    assert "recovery_code_used" in kinds(agent)


def test_five_wrong_codes_end_the_attempt(client):
    agent = factories.user()
    device = enrolled(agent)
    sign_in(client, agent)
    bad = "000000" if code_for(device) != "000000" else "111111"
    for _ in range(5):
        assert client.post(VERIFY, {"code": bad}).status_code == 200
    assert client.post(VERIFY, {"code": bad})["Location"] == LOGIN
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_second_step_is_limited_per_person_across_attempts(client, settings):
    settings.SECOND_FACTOR_RATE = "3/15m"
    agent = factories.user()
    device = enrolled(agent)
    bad = "000000" if code_for(device) != "000000" else "111111"
    sign_in(client, agent)
    for _ in range(3):
        client.post(VERIFY, {"code": bad})
    sign_in(client, agent)  # a new attempt does not reset the person's count
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == LOGIN


def test_a_lead_without_a_second_factor_is_held_at_enrolment_until_they_add_one(client):
    lead = factories.user(role=Role.LEAD)
    response = client.post(LOGIN, {"username": lead.email, "password": factories.PASSWORD,
                                   "next": "/tickets/"})  # fmt: skip
    assert response["Location"] == reverse("identity:enrol")
    assert client.get("/tickets/")["Location"] == reverse("identity:enrol")
    assert client.get("/sops/")["Location"] == reverse("identity:enrol")
    api = client.get("/api/v1/queues/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    assert client.get(reverse("identity:enrol")).status_code == 200
    client.post(reverse("identity:totp_start"))
    device = lead.totpdevice_set.get(confirmed=False)
    done = client.post(reverse("identity:totp_confirm"),
                       {"device": device.pk, "code": code_for(device)})  # fmt: skip
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert done.context["then"] == "/tickets/"
    assert client.get("/tickets/").status_code == 200
    assert "factor_added" in kinds(lead)


def test_an_sso_only_vendors_people_cannot_use_a_password(client, admin):
    vendor = factories.vendor()
    agent = factories.user(team=factories.team(vendor=vendor))
    IdentityProvider.objects.create(name="Northwind SSO", slug="nw", vendor=vendor,
                                    issuer="https://idp.example", client_id="c",
                                    client_secret="s", email_domains=["example.com"])  # fmt: skip
    services.organisation_policy_save(actor=admin, vendor_id=vendor.pk, sso_only=True)
    response = sign_in(client, agent)
    assert response.status_code == 403
    assert "single sign-on only" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert kinds(agent) == ["password_refused"]
    # In-house people and other vendors are not affected.
    assert sign_in(client, factories.user())["Location"] == reverse("home")


def test_an_address_outside_the_vendors_networks_is_refused_at_sign_in_on_pages_and_api(
    client, admin
):  # fmt: skip
    vendor = factories.vendor()
    agent = factories.user(team=factories.team(vendor=vendor))
    key = factories.api_key(agent)
    services.organisation_policy_save(actor=admin, vendor_id=vendor.pk,
                                      networks=["198.51.100.0/24"])  # fmt: skip
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    inside = {"REMOTE_ADDR": "198.51.100.20"}
    refused = sign_in(client, agent, **outside)
    assert refused.status_code == 403 and "203.0.113.9" in refused.content.decode()
    assert sign_in(client, agent, **inside)["Location"] == reverse("home")
    assert client.get("/tickets/", **inside).status_code == 200
    page = client.get("/tickets/", **outside)
    assert page.status_code == 403 and "203.0.113.9" in page.content.decode()
    api = client.get("/api/v1/queues/", HTTP_AUTHORIZATION=f"Token {key}", **outside)
    assert api.status_code == 403 and "203.0.113.9" in api.json()["detail"]
    ok = client.get("/api/v1/queues/", HTTP_AUTHORIZATION=f"Token {key}", **inside)
    assert ok.status_code == 200
    assert kinds(agent).count("address_refused") == 3


def test_the_forwarded_address_counts_only_from_a_trusted_proxy(client, admin, settings):
    vendor = factories.vendor()
    agent = factories.user(team=factories.team(vendor=vendor))
    services.organisation_policy_save(actor=admin, vendor_id=vendor.pk,
                                      networks=["198.51.100.0/24"])  # fmt: skip
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    forged = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    assert sign_in(client, agent, **forged).status_code == 403
    proxied = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    assert sign_in(client, agent, **proxied)["Location"] == reverse("home")


def test_a_page_polled_from_outside_the_networks_is_refused_each_time_but_logged_once_a_minute(
    client, admin
):  # fmt: skip
    vendor = factories.vendor()
    agent = factories.user(team=factories.team(vendor=vendor))
    client.post(LOGIN, {"username": agent.email, "password": factories.PASSWORD})
    services.organisation_policy_save(actor=admin, vendor_id=vendor.pk,
                                      networks=["198.51.100.0/24"])  # fmt: skip
    for _ in range(5):
        assert client.get("/tickets/counts/", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert kinds(agent).count("address_refused") == 1
