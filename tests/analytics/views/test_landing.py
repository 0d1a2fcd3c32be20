"""A lead's (and an admin's) home is their dashboard: where signing in lands them and an
entry in the header. Agents keep their home."""

from __future__ import annotations

import pytest

from accounts.models import Role
from core import navigation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _second_factor_optional():
    """Where signing in lands, not the second step (tests/identity): no role needs one."""
    from identity import policy
    from identity.models import RolePolicy

    for role in Role.values:  # rows, even after a flush removed the migration's
        RolePolicy.objects.update_or_create(role=role, defaults={"require_second_factor": False})
    policy.forget()
    yield
    policy.forget()


def sign_in(client, email: str, next_: str = ""):  # type: ignore[no-untyped-def]
    path = "/accounts/sign-in/" + (f"?next={next_}" if next_ else "")
    return client.post(path, {"username": email, "password": factories.PASSWORD})


@pytest.mark.parametrize(
    ("role", "lands"), [(Role.LEAD, "/analytics/"), (Role.ADMIN, "/analytics/"), (Role.AGENT, "/")]
)
def test_signing_in_lands_a_lead_or_admin_on_the_dashboard_and_an_agent_home(client, role, lands):
    factories.user(role=role, email="person@example.com")
    response = sign_in(client, "person@example.com")
    assert response.status_code == 302 and response["Location"] == lands


def test_a_next_address_still_wins(client):
    factories.user(role=Role.LEAD, email="lead@example.com")
    assert sign_in(client, "lead@example.com", "/tickets/")["Location"] == "/tickets/"


@pytest.mark.parametrize(
    ("role", "shown"), [(Role.AGENT, False), (Role.LEAD, True), (Role.ADMIN, True)]
)
def test_the_header_offers_the_dashboard_to_leads_and_admins(role, shown):
    items = navigation.nav_items(factories.user(role=role))
    assert ("dashboard" in [item["key"] for item in items]) is shown
