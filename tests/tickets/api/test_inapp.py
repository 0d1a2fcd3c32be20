"""In-app requests with per-application keys."""

import pytest
from django.core.cache import cache

from tests import factories
from tickets.intake.inapp import app_client_create, app_client_rotate_key
from tickets.models import AppClient, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/inapp/requests/"


@pytest.fixture
def app(desk):
    cache.clear()
    client, key = app_client_create(name="Android app", queue=desk["queues"]["north"])
    return {**desk, "client": client, "key": key}


def _post(client, key, **data):  # type: ignore[no-untyped-def]
    body = {"user_id": "u-42", "email": "Sam@Example.net", "name": "Sam", "language": "es",
            "subject": "La app se cierra", "description": "Al subir un video se cierra.",
            "app_version": "5.2.1", "device": "Pixel 8, Android 15", **data}  # fmt: skip
    return client.post(URL, body, content_type="application/json",
                       HTTP_AUTHORIZATION=f"AppKey {key}")  # fmt: skip


def test_an_app_files_a_request_for_its_user(app, client):
    response = _post(client, app["key"], extra={"screen": "upload"})
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert (ticket.channel, ticket.language, ticket.queue) == ("api", "es", app["queues"]["north"])
    assert ticket.requester.external_id == "u-42" and ticket.requester.email == "sam@example.net"
    assert ticket.metadata == {"app": "Android app", "app_version": "5.2.1",
                               "device": "Pixel 8, Android 15", "user_id": "u-42",
                               "extra": {"screen": "upload"}}  # fmt: skip
    # The same user again: the same requester.
    _post(client, app["key"], subject="Otra vez")
    assert Ticket.objects.filter(requester=ticket.requester).count() == 2


def test_a_bad_request_says_why_in_json(app, client):
    response = _post(client, app["key"], subject="", user_id="")
    assert response.status_code == 400
    body = response.json()
    assert "subject" in str(body) and "user_id" in str(body)


def test_a_wrong_rotated_or_disabled_key_is_refused(app, client):
    assert _post(client, "hdk_not-a-key").status_code == 401
    assert client.post(URL, {}, content_type="application/json").status_code in (401, 403)
    new_key = app_client_rotate_key(client=app["client"])
    assert _post(client, app["key"]).status_code == 401
    assert _post(client, new_key).status_code == 201
    AppClient.objects.update(is_active=False)
    assert _post(client, new_key).status_code == 401


def test_a_person_token_cannot_use_the_app_endpoint(app, client):
    token = factories.api_key(app["people"]["admin"])
    response = client.post(URL, {"user_id": "x"}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}")  # fmt: skip
    assert response.status_code in (401, 403)
    assert not Ticket.objects.exists()
