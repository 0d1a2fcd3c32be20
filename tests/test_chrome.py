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


# ------------------------------------------------------------- the SOP banner

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def three_sops(desk):
    from django.core.cache import cache

    from tests.sops import factories as sf

    cache.clear()
    admin, north = desk["people"]["admin"], desk["vendors"]["north"]
    sops = [sf.published(admin, title=title, vendors=[north])
            for title in ("Refunds", "Chargebacks", "Account recovery")]  # fmt: skip
    return {**desk, "sops": sops}


def test_the_sop_banner_is_one_line_with_the_count_and_review(three_sops, client):
    client.force_login(three_sops["people"]["north_agent"])
    body = client.get("/tickets/").content.decode()
    line = re.search(r'<summary data-testid="sop-banner-line">(.*?)</summary>', body, re.S)
    assert line, body
    assert re.sub(r"<[^>]+>", "", line.group(1)) == "3 SOPs need your acknowledgement — review"
    # The list under it (closed until opened) acknowledges each SOP, at its version.
    items = re.findall(r'<li [^>]*data-testid="sop-banner-item">(.*?)</li>', body, re.S)
    assert len(items) == 3
    for sop in three_sops["sops"]:
        assert any(f'action="/sops/{sop.slug}/acknowledge/"' in item and
                   f'hx-post="/sops/{sop.slug}/acknowledge/"' in item and
                   'name="version" value="1"' in item and ">Acknowledge</button>" in item
                   for item in items), sop.slug  # fmt: skip
    assert '<details class="sop-banner">' in body  # closed: one line until opened


def test_one_sop_reads_in_the_singular(three_sops, client):
    from sops.services import sop_acknowledge

    agent = three_sops["people"]["north_agent"]
    for sop in three_sops["sops"][:2]:
        sop_acknowledge(actor=agent, version=sop.current_version)
    client.force_login(agent)
    body = client.get("/tickets/").content.decode()
    assert "1 SOP needs your acknowledgement — " in body


def test_acknowledging_from_the_banner_refreshes_it_out_of_band(three_sops, client):
    agent = three_sops["people"]["north_agent"]
    client.force_login(agent)
    first, *others = three_sops["sops"]
    response = client.post(f"/sops/{first.slug}/acknowledge/", {"version": 1}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="sop-banner-slot" hx-swap-oob="true">' in html
    assert "2 SOPs need your acknowledgement" in html
    assert '<details class="sop-banner" open>' in html  # the list stays open
    assert f"/sops/{first.slug}/acknowledge/" not in html
    assert first.current_version.acknowledgements.filter(user=agent).exists()
    for sop in others:
        client.post(f"/sops/{sop.slug}/acknowledge/", {"version": 1}, **HTMX)
    last = client.post(f"/sops/{others[-1].slug}/acknowledge/", {"version": 1}, **HTMX)
    assert 'data-testid="sop-banner-done"' in last.content.decode()
    assert 'data-testid="sop-banner"' not in client.get("/tickets/").content.decode()


def test_the_banners_forms_carry_the_pages_csrf_token_and_it_works(three_sops):
    client = Client(enforce_csrf_checks=True)
    agent = three_sops["people"]["north_agent"]
    client.force_login(agent)
    body = client.get("/tickets/").content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))
    tokens |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', body))
    assert len(tokens) == 1
    sop = three_sops["sops"][0]
    response = client.post(f"/sops/{sop.slug}/acknowledge/",
                           {"version": 1, "csrfmiddlewaretoken": tokens.pop()})  # fmt: skip
    assert response.status_code == 302
    assert sop.current_version.acknowledgements.filter(user=agent).exists()


def test_every_string_in_the_jinja2_templates_reaches_the_catalogues():
    """makemessages does not read Jinja2 templates: each string they translate must be
    listed (gettext_noop) in core/chrome.py or tickets/presenters.py."""
    from pathlib import Path

    from django.conf import settings
    from django.utils import translation

    from core import chrome
    from tickets import presenters

    # (a plural's singular, in English, stands for it)
    with translation.override("en"):
        listed = {str(s) for s in [*chrome.CHROME_STRINGS, *presenters.ROW_TEMPLATE_STRINGS]}
    used = set()
    for path in (Path(settings.BASE_DIR) / "templates" / "jinja2").rglob("*.html"):
        text = path.read_text()
        used |= set(re.findall(r"""\b(?:_|gettext|ngettext)\(\s*"([^"]*)\"""", text))
        used |= set(re.findall(r"""\b(?:_|gettext|ngettext)\(\s*'([^']*)'""", text))
    assert used - listed == set()
