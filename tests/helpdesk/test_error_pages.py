"""Production 404 and 500 pages are the product's own, in the visitor's language
(item 26 of issue 14). The test settings run with DEBUG off, as production does."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests import factories

pytestmark = pytest.mark.django_db
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return translation.gettext(text)


def test_a_missing_page_in_spanish_shows_the_translated_not_found_page(client, settings):
    assert settings.DEBUG is False
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="es"' in body
    assert "No encontrado" in body and "Not found" not in body
    assert 'data-testid="not-found"' in body


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_not_found_page_renders_in_every_language(client, code):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=code)
    assert response.status_code == 404
    body = response.content.decode()
    assert f'<html lang="{code}"' in body
    assert in_language(code, "Not found") in body
    assert in_language(code, "There is nothing here, or it is not yours to see.") in body


def test_the_not_found_page_renders_for_a_signed_in_person(client):
    client.force_login(factories.user())
    response = client.get("/tickets/NOPE-0/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404 and "No encontrado" in response.content.decode()


@pytest.mark.urls("tests.helpdesk.urls_error")
@pytest.mark.parametrize("code", LANGUAGES)
def test_a_server_error_shows_the_products_page_in_every_language(code):
    client = Client(raise_request_exception=False)
    response = client.get("/test-failure/", HTTP_ACCEPT_LANGUAGE=code)
    assert response.status_code == 500
    body = response.content.decode()
    assert f'<html lang="{code}"' in body and 'data-testid="server-error"' in body
    assert in_language(code, "Something went wrong") in body
    assert in_language(code, "The error has been logged. Try again in a moment.") in body
    rtl = code in settings.LANGUAGES_BIDI
    assert ('dir="rtl"' in body) is rtl and ("bootstrap.rtl.min.css" in body) is rtl


@pytest.mark.parametrize("code", ["en", "es", "ar"])
def test_the_server_error_page_needs_no_database_and_no_signed_in_person(
    code, django_assert_num_queries
):
    request = RequestFactory().get("/")  # no session, no user
    with translation.override(code), django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert f'<html lang="{code}"' in response.content.decode()
