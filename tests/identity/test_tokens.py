"""Named API tokens: shown once, kept as a digest, scoped, expiring, revocable by their
owner and by admins, refused after revocation."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from identity import services
from identity.models import ApiToken, SecurityEvent
from tests import factories

pytestmark = pytest.mark.django_db


def api(key: str, method: str = "get", path: str = "/api/v1/queues/", **extra):  # type: ignore[no-untyped-def]
    return getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Token {key}", **extra)


def test_a_token_is_shown_once_and_only_its_digest_is_kept(client):
    agent = factories.user()
    client.force_login(agent)
    response = client.post(
        reverse("identity:token_create"),
        {"name": "Reporting script", "scope": "read", "expires": "30"},
    )
    key = response.context["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=agent)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:8]
    assert key not in client.get(reverse("identity:security")).content.decode()
    assert token.expires_at is not None
    assert abs(token.expires_at - timezone.now() - timedelta(days=30)) < timedelta(minutes=1)
    assert api(key).status_code == 200
    event = SecurityEvent.objects.get(kind="token_created")
    assert event.detail["name"] == "Reporting script" and key not in str(event.detail)


def test_a_token_without_a_name_is_a_field_error_not_a_token(client):
    client.force_login(factories.user())
    response = client.post(reverse("identity:token_create"), {"name": " ", "scope": "read"})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_a_read_only_token_reads_but_cannot_write():
    agent = factories.user()
    key = factories.api_key(agent, scope="read")
    assert api(key).status_code == 200
    response = api(key, "post", "/api/v1/tickets/", data={}, content_type="application/json")
    assert response.status_code == 403 and "read only" in response.json()["detail"]


def test_bearer_is_accepted_as_well_as_token():
    key = factories.api_key(factories.user())
    assert Client().get("/api/v1/queues/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_an_expired_token_is_refused():
    agent = factories.user()
    key = services.token_create(actor=agent, name="x", scope="read", expires_in_days=1)[1]
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = api(key)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_the_owner_revokes_a_token_and_it_stops_working(client):
    agent = factories.user()
    key = factories.api_key(agent)
    client.force_login(agent)
    token = ApiToken.objects.get(user=agent)
    client.post(reverse("identity:token_revoke", args=[token.pk]))
    assert api(key).status_code == 401
    assert SecurityEvent.objects.filter(kind="token_revoked", actor=agent).exists()


def test_someone_elses_token_is_404_for_a_non_admin_and_revocable_by_an_admin(client):
    owner = factories.user()
    key = factories.api_key(owner)
    token = ApiToken.objects.get(user=owner)
    client.force_login(factories.user(role=Role.LEAD))
    assert client.post(reverse("identity:token_revoke", args=[token.pk])).status_code == 404
    assert api(key).status_code == 200
    admin = factories.user(role=Role.ADMIN)
    client.force_login(admin)
    back = reverse("identity:person", args=[owner.pk])
    response = client.post(reverse("identity:token_revoke", args=[token.pk]), {"back": back})
    assert response["Location"] == back
    assert api(key).status_code == 401
    assert SecurityEvent.objects.get(kind="token_revoked").actor == admin


def test_a_token_from_before_named_tokens_keeps_working_after_the_migration():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # The data migration's own function on a token as the old table held it.
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(("identity", "0002_defaults_and_tokens"))
    agent = factories.user()
    Token = state.apps.get_model("authtoken", "Token")
    Token.objects.create(user_id=agent.pk, key="0123456789abcdef0123456789abcdef01234567")
    migration = executor.loader.get_migration("identity", "0002_defaults_and_tokens")
    migration.operations[0].code(state.apps, None)
    assert api("0123456789abcdef0123456789abcdef01234567").status_code == 200
    assert ApiToken.objects.get(user=agent).scope == "write"
    assert not Token.objects.exists()
