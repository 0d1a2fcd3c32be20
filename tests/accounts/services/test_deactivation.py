"""Deactivating a person revokes their API token for good (item 6 of issue 14)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AccountEvent, Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_deactivation_deletes_the_api_token_and_audits_it():
    admin = factories.user(role=Role.ADMIN)
    agent = factories.user()
    services.api_token_rotate(actor=agent)
    services.user_update(actor=admin, user=agent, is_active=False)
    assert not Token.objects.filter(user=agent).exists()
    event = AccountEvent.objects.get(
        action=AccountEvent.Action.API_TOKEN_REVOKED, target_type="user", target_id=agent.pk
    )
    assert event.actor == admin and event.after == {"reason": "deactivated"}


def test_reactivation_does_not_bring_the_old_token_back():
    admin = factories.user(role=Role.ADMIN)
    agent = factories.user()
    key = services.api_token_rotate(actor=agent)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/queues/").status_code == 200
    services.user_update(actor=admin, user=agent, is_active=False)
    services.user_update(actor=admin, user=agent, is_active=True)
    assert api.get("/api/v1/queues/").status_code == 401


def test_deactivating_someone_without_a_token_records_no_revocation():
    admin = factories.user(role=Role.ADMIN)
    agent = factories.user()
    services.user_update(actor=admin, user=agent, is_active=False)
    assert not AccountEvent.objects.filter(action=AccountEvent.Action.API_TOKEN_REVOKED).exists()
