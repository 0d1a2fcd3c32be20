"""A person's UI language: chosen in their preferences or with the footer's switcher,
stored on their account, and used for their pages in any browser; blank follows the
browser. Every UI language works the same way (right to left for Arabic)."""

import re

import pytest
from django.conf import settings
from django.utils.translation import get_language_info

from accounts.models import AccountEvent
from tests import factories

pytestmark = pytest.mark.django_db

UI_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def html_language(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)"', response.content.decode())
    assert match, "no <html lang dir> on the page"
    return match[1], match[2]


def sign_in(client, user) -> None:
    response = client.post(
        "/accounts/sign-in/", {"username": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302, "sign-in failed"


@pytest.mark.parametrize("code", UI_LANGUAGES)
def test_after_sign_in_pages_are_in_the_stored_language_whatever_the_browser_asks(client, code):
    user = factories.user()
    user.ui_language = code
    user.save(update_fields=["ui_language"])
    browser = "ja" if code != "ja" else "ru"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = browser
    assert html_language(client.get("/accounts/sign-in/", HTTP_ACCEPT_LANGUAGE=browser))[0] == (
        browser
    )

    sign_in(client, user)
    for path in ["/", "/accounts/preferences/"]:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=browser)
        bidi = get_language_info(code)["bidi"]
        assert html_language(response) == (code, "rtl" if bidi else "ltr"), path
        assert response["Content-Language"] == code
        stylesheet = "bootstrap.rtl.min.css" if bidi else "bootstrap.min.css"
        assert f"vendor/bootstrap/css/{stylesheet}" in response.content.decode()


def test_a_blank_language_follows_the_browser(client):
    user = factories.user()
    assert user.ui_language == ""
    client.force_login(user)
    assert html_language(client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))[0] == "de"
    assert html_language(client.get("/", HTTP_ACCEPT_LANGUAGE="pt-BR"))[0] == "pt"
    assert html_language(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN"))[0] == "zh-hans"


def test_the_preferences_page_offers_every_ui_language_and_saves_the_choice(client):
    user = factories.user(time_zone="Europe/Lisbon")
    client.force_login(user)
    body = client.get("/accounts/preferences/").content.decode()
    assert '<option value="" selected>' in body  # blank: same as the browser
    for code in UI_LANGUAGES:
        name = get_language_info(code)["name_local"]
        assert re.search(rf'<option value="{code}" lang="{code}"[^>]*>{name}</option>', body), code

    response = client.post("/accounts/preferences/", {
        "full_name": user.full_name, "time_zone": user.time_zone, "ui_language": "fr",
    }, follow=True)  # fmt: skip
    user.refresh_from_db()
    assert user.ui_language == "fr"
    assert html_language(response)[0] == "fr"
    assert '<option value="fr" lang="fr" selected>' in response.content.decode()
    event = AccountEvent.objects.filter(target_id=user.pk, action="preferences_changed").get()
    assert (event.before, event.after) == ({"ui_language": ""}, {"ui_language": "fr"})

    # Saving the page again without touching the language keeps it.
    client.post("/accounts/preferences/", {
        "full_name": "New Name", "time_zone": user.time_zone, "ui_language": "fr",
    })  # fmt: skip
    user.refresh_from_db()
    assert (user.full_name, user.ui_language) == ("New Name", "fr")

    # Back to following the browser.
    client.post("/accounts/preferences/", {
        "full_name": user.full_name, "time_zone": user.time_zone, "ui_language": "",
    })  # fmt: skip
    user.refresh_from_db()
    assert user.ui_language == ""


@pytest.mark.parametrize("value", ["xx", "it", "EN", "e" * 300])
def test_a_language_that_is_not_offered_is_a_form_error_not_a_500(client, value):
    user = factories.user()
    client.force_login(user)
    response = client.post("/accounts/preferences/", {
        "full_name": user.full_name, "time_zone": user.time_zone, "ui_language": value,
    })  # fmt: skip
    assert response.status_code == 200
    assert 'id="id_ui_language_error"' in response.content.decode()
    user.refresh_from_db()
    assert user.ui_language == ""


@pytest.mark.parametrize("code", UI_LANGUAGES)
def test_the_footer_switcher_saves_the_choice_for_a_signed_in_person(client, code):
    user = factories.user()
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": code, "next": "/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    user.refresh_from_db()
    assert user.ui_language == code
    # Another browser (no cookie, another Accept-Language) gets the same language.
    other = client.__class__()
    other.force_login(user)
    assert html_language(other.get("/", HTTP_ACCEPT_LANGUAGE="en"))[0] == code


def test_the_footer_switcher_without_sign_in_only_sets_the_cookie(client):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/accounts/sign-in/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert html_language(client.get("/accounts/sign-in/"))[0] == "de"
    assert not AccountEvent.objects.filter(action="preferences_changed").exists()


def test_the_footer_switcher_ignores_a_language_that_is_not_offered(client):
    user = factories.user()
    user.ui_language = "es"
    user.save(update_fields=["ui_language"])
    client.force_login(user)
    for value in ["it", "xx", "", "ES", "e" * 300]:
        response = client.post("/i18n/setlang/", {"language": value, "next": "/"})
        assert response.status_code == 302
    user.refresh_from_db()
    assert user.ui_language == "es"


@pytest.mark.parametrize("path", ["/accounts/sign-in/", "/help/"])
def test_the_footer_switcher_lists_every_ui_language_named_in_itself(client, path):
    body = client.get(path, HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    options = re.findall(r'<option value="([^"]+)" lang="\1"( selected)?>([^<]+)</option>', body)
    assert [code for code, _selected, _name in options] == UI_LANGUAGES
    assert [name for _code, _selected, name in options] == [
        get_language_info(code)["name_local"] for code in UI_LANGUAGES
    ]
    assert [code for code, selected, _name in options if selected] == ["pt"]
