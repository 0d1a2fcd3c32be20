"""The admins' pages: policies, identity providers, a person's access, the security log.
Everyone else gets 404."""

import pytest
from django.urls import reverse

from accounts.models import Role
from identity import policy
from identity.models import IdentityProvider, OrganisationPolicy, RolePolicy, SecurityEvent
from tests import factories
from tests.identity.conftest import enrolled

pytestmark = pytest.mark.django_db
ADMIN_PAGES = ["identity:log", "identity:policies", "identity:providers", "identity:provider_new",
               "identity:tokens"]  # fmt: skip


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_the_admin_pages_are_404_for_everyone_but_admins(client, role):
    person = factories.user(role=role)
    client.force_login(person)
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("identity:person", args=[person.pk])).status_code == 404
    provider = IdentityProvider.objects.create(name="X", slug="x", issuer="https://idp.example",
                                               client_id="c", client_secret="s")  # fmt: skip
    assert client.get(reverse("identity:provider_edit", args=[provider.pk])).status_code == 404
    assert client.post(reverse("identity:policies"), {"role": "agent"}).status_code == 404


def test_every_admin_page_opens_for_an_admin(client, admin):
    client.force_login(admin)
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("identity:person", args=[admin.pk])).status_code == 200


def test_an_admin_sets_a_roles_policy_and_it_applies_at_once(client, admin):
    client.force_login(admin)
    response = client.post(reverse("identity:policies"), {
        "role": "agent", "agent-require_second_factor": "on", "agent-idle_minutes": "15",
        "agent-lifetime_hours": "8"})  # fmt: skip
    assert response.status_code == 302
    row = RolePolicy.objects.get(role="agent")
    assert (row.require_second_factor, row.idle_minutes, row.lifetime_hours) == (True, 15, 8)
    assert policy.for_role("agent").idle_seconds == 15 * 60
    event = SecurityEvent.objects.get(kind="policy_changed")
    assert event.actor == admin and event.detail["after"]["idle_minutes"] == 15


def test_a_bad_network_is_shown_next_to_its_field_and_nothing_is_saved(client, admin):
    client.force_login(admin)
    vendor = factories.vendor()
    response = client.post(reverse("identity:policies"), {
        "org-vendor": vendor.pk, "org-networks": "198.51.100.0/24\nnot-a-network"})  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "not-a-network" in body and 'aria-invalid="true"' in body
    assert not OrganisationPolicy.objects.filter(vendor=vendor).exists()
    IdentityProvider.objects.create(name="X", slug="x", vendor=vendor, issuer="https://i.example",
                                    client_id="c", client_secret="s")  # fmt: skip
    ok = client.post(
        reverse("identity:policies"),
        {"org-vendor": vendor.pk, "org-sso_only": "on", "org-networks": "198.51.100.0/24"},
    )
    assert ok.status_code == 302
    saved = OrganisationPolicy.objects.get(vendor=vendor)
    assert saved.sso_only and saved.networks == ["198.51.100.0/24"]


def test_an_admin_adds_an_identity_provider_and_bad_maps_are_field_errors(client, admin):
    client.force_login(admin)
    team = factories.team()
    data = {"name": "Okta", "slug": "okta", "issuer": "https://acme.okta.com",
            "client_id": "abc", "client_secret": "s3cret", "scopes": "openid email profile",
            "email_domains": "Acme.example, @acme.test", "role_claim": "groups",
            "role_map": '{"helpdesk-leads": "boss"}', "default_role": "agent",
            "team_claim": "groups", "team_map": "{}", "default_team": team.pk,
            "is_active": "on"}  # fmt: skip
    bad = client.post(reverse("identity:provider_new"), data)
    assert bad.status_code == 400 and "Not a role: boss" in bad.content.decode()
    data["role_map"] = '{"helpdesk-leads": "lead"}'
    assert client.post(reverse("identity:provider_new"), data).status_code == 302
    provider = IdentityProvider.objects.get(slug="okta")
    assert provider.email_domains == ["acme.example", "acme.test"]
    assert provider.role_map == {"helpdesk-leads": "lead"}
    edit = client.get(reverse("identity:provider_edit", args=[provider.pk])).content.decode()
    assert "/accounts/sign-in/sso/okta/callback/" in edit


def test_an_admin_resets_a_persons_factors_and_it_is_audited(client, admin):
    agent = factories.user()
    enrolled(agent)
    client.force_login(admin)
    url = reverse("identity:person", args=[agent.pk])
    assert "Authenticator app" in client.get(url).content.decode()
    client.post(url, {"action": "reset_factors"})
    assert not agent.totpdevice_set.exists() and not agent.staticdevice_set.exists()
    event = SecurityEvent.objects.get(kind="factors_reset")
    assert event.user == agent and event.actor == admin


def test_the_security_log_searches_by_person_and_kind_newest_first_a_page_at_a_time(
    client, admin, django_assert_max_num_queries
):  # fmt: skip
    agent = factories.user(email="watched@example.com")
    SecurityEvent.objects.bulk_create(
        SecurityEvent(kind="sign_in_failed", email="watched@example.com") for _ in range(60)
    )
    SecurityEvent.objects.create(kind="signed_in", user=agent)
    SecurityEvent.objects.create(kind="signed_in", email="someone@else.example")
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        first = client.get(reverse("identity:log"), {"email": "watched", "kind": "sign_in_failed"})
    rows = first.context["rows"]
    assert len(rows) == 50 and all(r.email == "watched@example.com" for r in rows)
    rest = client.get(reverse("identity:log"), {"email": "watched", "kind": "sign_in_failed",
                                                "after": first.context["next_cursor"]})  # fmt: skip
    assert len(rest.context["rows"]) == 10 and not rest.context["next_cursor"]
    assert {r.pk for r in rows}.isdisjoint({r.pk for r in rest.context["rows"]})


def test_the_enrol_page_sends_someone_not_held_to_their_security_page(client):
    client.force_login(factories.user())
    assert client.get(reverse("identity:enrol"))["Location"] == reverse("identity:security")


def test_saves_that_would_lock_people_out_are_refused_with_a_reason(client, admin):
    client.force_login(admin)
    vendor = factories.vendor()
    no_provider = client.post(reverse("identity:policies"),
                              {"org-vendor": vendor.pk, "org-sso_only": "on"})  # fmt: skip
    assert no_provider.status_code == 400
    assert "Add an active identity provider" in no_provider.content.decode()
    own = client.post(reverse("identity:policies"), {"org-networks": "198.51.100.0/24"},
                      REMOTE_ADDR="203.0.113.5")  # fmt: skip
    assert own.status_code == 400 and "203.0.113.5" in own.content.decode()
    assert not OrganisationPolicy.objects.exists()
    fine = client.post(reverse("identity:policies"), {"org-networks": "203.0.113.0/24"},
                       REMOTE_ADDR="203.0.113.5")  # fmt: skip
    assert fine.status_code == 302
    assert OrganisationPolicy.objects.get(vendor=None).networks == ["203.0.113.0/24"]


def test_removing_ones_last_factor_takes_the_recovery_codes_with_it_unless_it_is_required(client):
    agent = factories.user()
    device = enrolled(agent)
    client.force_login(agent)
    client.post(reverse("identity:factor_remove", args=["totp", device.pk]))
    assert not agent.totpdevice_set.exists() and not agent.staticdevice_set.exists()
    lead = factories.user(role=Role.LEAD)  # leads must keep one
    device = enrolled(lead)
    client.force_login(lead)
    response = client.post(reverse("identity:factor_remove", args=["totp", device.pk]), follow=True)
    assert "add another before removing this one" in response.content.decode()
    assert lead.totpdevice_set.exists() and lead.staticdevice_set.exists()


def test_admins_list_every_live_token_a_page_at_a_time_and_revoke_from_there(
    client, admin, django_assert_max_num_queries
):  # fmt: skip
    from datetime import timedelta

    from django.utils import timezone

    from identity import services
    from identity.models import ApiToken

    people = [factories.user() for _ in range(3)]
    for n in range(55):
        factories.api_key(people[n % 3], name=f"script {n}")
    gone = ApiToken.objects.get(name="script 0")
    services.token_revoke(actor=None, token=gone)
    ApiToken.objects.filter(name="script 1").update(expires_at=timezone.now() - timedelta(days=1))
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        first = client.get(reverse("identity:tokens"))
    rest = client.get(reverse("identity:tokens"), {"after": first.context["next_cursor"]})
    names = [t.name for t in first.context["rows"] + rest.context["rows"]]
    assert len(names) == 53 and "script 0" not in names and "script 1" not in names
    assert names[0] == "script 54"
    token = first.context["rows"][0]
    back = reverse("identity:tokens")
    response = client.post(reverse("identity:token_revoke", args=[token.pk]), {"back": back})
    assert response["Location"] == back
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
