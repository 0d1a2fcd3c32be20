"""Sign-in sessions: listed, ended one by one or everywhere, ended by a change of role
or team and by deactivation, and by their idle and absolute limits."""

import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import services as accounts
from accounts.models import Role
from identity.models import ApiToken, SecurityEvent, SignInSession
from tests import factories

pytestmark = pytest.mark.django_db


def signed_in(user, **extra):  # type: ignore[no-untyped-def]
    client = Client(**extra)
    response = client.post("/accounts/sign-in/", {"username": user.email,
                                                  "password": factories.PASSWORD})  # fmt: skip
    assert response.status_code == 302, response
    return client


def is_signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/tickets/").status_code == 200


def test_the_security_page_lists_ones_open_sessions_with_browser_and_address():
    agent = factories.user()
    laptop = signed_in(agent, HTTP_USER_AGENT="Firefox on the laptop", REMOTE_ADDR="192.0.2.1")
    signed_in(agent, HTTP_USER_AGENT="Chrome on the phone", REMOTE_ADDR="192.0.2.2")
    body = laptop.get(reverse("identity:security")).content.decode()
    assert "Firefox on the laptop" in body and "Chrome on the phone" in body
    assert "192.0.2.2" in body and "this browser" in body


def test_ending_one_session_signs_that_browser_out_and_no_other():
    agent = factories.user()
    laptop, phone = signed_in(agent), signed_in(agent)
    record = SignInSession.objects.get(session_key=phone.session.session_key)
    laptop.post(reverse("identity:session_end", args=[record.pk]))
    assert not is_signed_in(phone) and is_signed_in(laptop)
    assert SignInSession.objects.get(pk=record.pk).end_reason == "ended_by_owner"


def test_another_persons_session_cannot_be_ended_by_its_id():
    victim = factories.user()
    phone = signed_in(victim)
    record = SignInSession.objects.get(session_key=phone.session.session_key)
    other = signed_in(factories.user())
    assert other.post(reverse("identity:session_end", args=[record.pk])).status_code == 404
    assert is_signed_in(phone)


def test_sign_out_everywhere_ends_every_session_of_the_person():
    agent = factories.user()
    laptop, phone, tablet = signed_in(agent), signed_in(agent), signed_in(agent)
    laptop.post(reverse("identity:sessions_end_all"))
    assert not any(is_signed_in(c) for c in (laptop, phone, tablet))
    assert not SignInSession.objects.filter(user=agent, ended_at=None).exists()


@pytest.mark.parametrize("change", ["role", "team", "deactivated"])
def test_a_change_of_role_or_team_or_a_deactivation_ends_the_persons_sessions(change):
    admin = factories.user(role=Role.ADMIN)
    agent = factories.user()
    key = factories.api_key(agent)
    phone = signed_in(agent)
    if change == "role":
        accounts.user_change_role(actor=admin, user=agent, role=Role.LEAD)
    elif change == "team":
        accounts.user_update(actor=admin, user=agent, team=factories.team())
    else:
        accounts.user_update(actor=admin, user=agent, is_active=False)
    assert not is_signed_in(phone)
    assert SignInSession.objects.get(user=agent).end_reason == change
    ended = SecurityEvent.objects.get(user=agent, kind="session_ended")
    assert ended.actor == admin and ended.detail["reason"] == change
    token_live = ApiToken.objects.get(user=agent).revoked_at is None
    assert token_live == (change != "deactivated")
    api = Client().get("/api/v1/queues/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == (401 if change == "deactivated" else 200)


def test_an_idle_session_ends_after_the_roles_idle_timeout():
    agent = factories.user()  # agents: 120 minutes idle, 12 hours in all
    with time_machine.travel(time.time(), tick=False) as clock:
        client = signed_in(agent)
        clock.shift(110 * 60)
        assert is_signed_in(client)  # seen again: the idle clock restarts
        clock.shift(110 * 60)
        assert is_signed_in(client)
        clock.shift(121 * 60)
        response = client.get("/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/")
    record = SignInSession.objects.get(user=agent)
    assert record.end_reason == "idle" and record.ended_at is not None
    follow = client.get(response["Location"]).content.decode()
    assert "signed out after a time without activity" in follow


def test_a_busy_session_still_ends_at_its_absolute_lifetime():
    agent = factories.user()
    with time_machine.travel(time.time(), tick=False) as clock:
        client = signed_in(agent)
        for _hour in range(12):
            clock.shift(59 * 60)
            assert is_signed_in(client)
        clock.shift(30 * 60)
        assert not is_signed_in(client)
    assert SignInSession.objects.get(user=agent).end_reason == "lifetime"


def test_an_expired_session_on_the_api_answers_401_in_json():
    agent = factories.user()
    with time_machine.travel(time.time(), tick=False) as clock:
        client = signed_in(agent)
        clock.shift(13 * 3600)
        response = client.get("/api/v1/queues/")
    assert response.status_code == 401 and "Sign in again" in response.json()["detail"]


def test_checking_a_session_costs_no_query_within_a_minute(django_assert_max_num_queries):
    agent = factories.user()
    client = signed_in(agent)
    client.get("/accounts/preferences/")
    with django_assert_max_num_queries(20) as context:
        client.get("/accounts/preferences/")
    assert not any("identity_signinsession" in q["sql"] for q in context.captured_queries)


def test_a_session_past_its_limits_is_no_longer_listed_though_its_browser_never_came_back():
    agent = factories.user()
    with time_machine.travel(time.time(), tick=False) as clock:
        signed_in(agent, HTTP_USER_AGENT="The old laptop")
        clock.shift(3 * 3600)  # past the agent's 2-hour idle timeout
        body = signed_in(agent).get(reverse("identity:security")).content.decode()
    assert "The old laptop" not in body
