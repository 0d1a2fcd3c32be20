import pytest

from accounts.models import AccountEvent, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/accounts/preferences/", "/accounts/people/"])
def test_pages_ask_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def nav_keys(response):
    return [item["key"] for item in response.context["nav_items"]]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.AGENT,
            [
                "home",
                "queue",
                "safety-reports",
                "chat",
                "sops",
                "escalations",
                "incidents",
                "ratings",
                "reviews",
                "wellbeing",
            ],
        ),
        (
            Role.LEAD,
            [
                "home",
                "queue",
                "safety-reports",
                "chat",
                "sops",
                "escalations",
                "incidents",
                "dashboard",
                "ratings",
                "reviews",
                "wellbeing",
                "people",
            ],
        ),
        (
            Role.ADMIN,
            [
                "home",
                "queue",
                "safety-reports",
                "chat",
                "sops",
                "escalations",
                "incidents",
                "dashboard",
                "ratings",
                "reviews",
                "wellbeing",
                "people",
                "access",
                "privacy",
                "admin",
            ],
        ),
    ],
)
def test_navigation_follows_the_role(client, role, expected):
    client.force_login(factories.user(role=role))
    assert nav_keys(client.get("/")) == expected


def test_agents_get_404_for_the_people_page(client):
    client.force_login(factories.user())
    assert client.get("/accounts/people/").status_code == 404


def test_vendor_lead_people_page_lists_only_their_vendor(client, org):
    client.force_login(org["people"]["north_lead"])
    body = client.get("/accounts/people/").content.decode()
    assert "north2.agent@example.com" in body
    assert "atlas.agent@example.com" not in body
    assert "inhouse.agent@example.com" not in body


def test_the_people_page_names_the_added_roles_each_person_holds(client, org):
    from accounts import services

    people = org["people"]
    services.user_set_added_roles(actor=None, user=people["north_lead"], names=["qa_reviewer"])
    client.force_login(people["admin"])
    body = client.get("/accounts/people/", {"q": "north"}).content.decode()
    assert body.count('data-testid="added-role"') == 1
    assert 'data-testid="added-role">QA reviewer</span>' in body


def test_people_search_answers_htmx_with_the_table_only(client, org):
    client.force_login(org["people"]["admin"])
    response = client.get("/accounts/people/", {"q": "atlas"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "atlas.lead@example.com" in body and "north.lead@example.com" not in body
    assert "HX-Request" in response["Vary"]


def test_a_forged_people_cursor_is_ignored_not_a_500(client, org):
    client.force_login(org["people"]["admin"])
    assert client.get("/accounts/people/", {"after": "garbage"}).status_code == 200


def test_preferences_save_the_time_zone_and_show_errors_by_the_field(client):
    user = factories.user()
    client.force_login(user)
    response = client.post(
        "/accounts/preferences/", {"full_name": "Ana S", "time_zone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
    assert AccountEvent.objects.filter(action="preferences_changed", target_id=user.pk).exists()

    bad = client.post("/accounts/preferences/", {"full_name": "", "time_zone": "Mars/Base"})
    body = bad.content.decode()
    assert bad.status_code == 200
    assert 'id="id_time_zone_error"' in body and 'id="id_full_name_error"' in body


def test_security_headers_are_set(client):
    response = client.get("/accounts/sign-in/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts(client):
    client.force_login(factories.user(role=Role.ADMIN))
    for path in ["/", "/accounts/people/", "/accounts/preferences/"]:
        body = client.get(path).content.decode()
        for chunk in body.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), f"inline script on {path}"


def test_arabic_renders_right_to_left_with_the_rtl_stylesheet(client):
    client.post("/i18n/setlang/", {"language": "ar", "next": "/accounts/sign-in/"})
    body = client.get("/accounts/sign-in/").content.decode()
    assert 'dir="rtl"' in body and 'lang="ar"' in body
    assert "bootstrap.rtl.min.css" in body
    assert "تسجيل الدخول" in body  # "Sign in", from the compiled Arabic catalogue


def test_times_are_shown_in_the_viewers_time_zone(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.utils import timezone

    from helpdesk.middleware import UserTimezoneMiddleware

    seen = []
    middleware = UserTimezoneMiddleware(
        lambda request: seen.append(timezone.get_current_timezone_name()) or HttpResponse()
    )
    request = rf.get("/")
    request.user = factories.user(time_zone="Asia/Tokyo")
    middleware(request)
    request.user = AnonymousUser()
    middleware(request)
    assert seen == ["Asia/Tokyo", "UTC"]
