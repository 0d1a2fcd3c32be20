"""The API's schema and docs need a sign-in in production, and calls without a sign-in
are throttled per address (item 6 of issue 14)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db
ROUTES = ["/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("path", ROUTES)
def test_schema_and_docs_refuse_anonymous_callers_in_production(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code in (302, 401, 403)
    assert b"/api/v1/tickets/" not in response.content
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/sign-in/?next=")


def test_the_docs_page_sends_a_browser_to_sign_in_and_back(client, settings):
    settings.DEBUG = False
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/api/docs/"


@pytest.mark.parametrize("path", ROUTES)
def test_schema_and_docs_are_served_to_a_signed_in_person_in_production(client, settings, path):
    settings.DEBUG = False
    client.force_login(factories.user())
    assert client.get(path).status_code == 200


def test_the_schema_is_served_to_a_token_in_production(settings):
    settings.DEBUG = False
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_key(factories.user())}")
    response = api.get("/api/schema/")
    assert response.status_code == 200 and b"/api/v1/tickets/" in response.content


@pytest.mark.parametrize("path", ROUTES)
def test_schema_and_docs_stay_public_with_debug_on(client, settings, path):
    settings.DEBUG = True
    assert client.get(path).status_code == 200


def test_calls_without_a_sign_in_are_throttled_per_address(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "anon": "3/minute"},
    }  # fmt: skip
    cache.clear()
    api = APIClient()
    # Guessing tokens: each refused call counts against the address.
    statuses = [
        api.get("/api/v1/tickets/", HTTP_AUTHORIZATION="Token guess", REMOTE_ADDR="203.0.113.7")
        .status_code for _ in range(4)
    ]  # fmt: skip
    assert statuses == [401, 401, 401, 429]
    # So are calls with no credentials at all, from the same count.
    assert api.get("/api/v1/queues/", REMOTE_ADDR="203.0.113.7").status_code == 429
    # A forged X-Forwarded-For does not make a new address.
    forged = api.get("/api/v1/tickets/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert forged.status_code == 429
    assert api.get("/api/v1/tickets/", REMOTE_ADDR="198.51.100.1").status_code == 401
    # A signed-in caller is not held by the anonymous limit.
    token = factories.api_key(factories.user())
    ok = api.get("/api/v1/queues/", HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR="203.0.113.7")
    assert ok.status_code == 200
