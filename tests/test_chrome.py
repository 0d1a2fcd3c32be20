"""The page chrome (header, navigation, SOP banner, language switcher) is rendered by
Jinja2 from base.html: escaped, translated, and every form on a page carries the
page's one CSRF token."""

import re

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_header_escapes_the_persons_name(client):
    client.force_login(factories.user(full_name='<img src=x onerror="alert(1)">'))
    body = client.get("/").content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in body


def test_the_chrome_is_translated_and_right_to_left_in_arabic(client):
    client.force_login(factories.user())
    client.cookies["django_language"] = "ar"
    body = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in body
    assert "تسجيل الخروج" in body  # Sign out
    assert "تغيير اللغة" in body  # Change language
    assert re.search(r'<option value="ar" lang="ar" selected>', body)


def test_every_form_on_a_page_carries_the_same_csrf_token_and_it_works():
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.user())
    body = client.get("/tickets/").content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))
    tokens |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', body))
    assert len(tokens) == 1
    # The header's sign-out form posts with it.
    response = client.post("/accounts/sign-out/", {"csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    assert client.get("/tickets/").status_code == 302  # signed out


def test_the_current_page_is_marked_in_the_navigation(client):
    client.force_login(factories.user())
    body = client.get("/tickets/").content.decode()
    assert re.search(r'class="nav-link active" href="/tickets/"\s+data-nav="queue" '
                     r'aria-current="page"', body)  # fmt: skip
    assert body.count('aria-current="page"') == 1
