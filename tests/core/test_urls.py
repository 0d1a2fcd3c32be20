"""absolute_url: SITE_URL followed by reverse()'s path, giving the very URLs the links
in mail, webhooks and pages were built with by hand before; and none is built by hand
any more."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, set_script_prefix

from core.urls import absolute_url
from escalations.models import new_page_token
from tests.tickets import factories as tf
from tickets import services
from tickets.intake.help_center import LINK_SALT, requester_link, ticket_for_link
from tickets.models import Notification, new_reference

SITES = ["https://help.example.com", "http://localhost:8000", "https://example.com/support"]
ROOT = Path(settings.BASE_DIR)


@pytest.fixture(params=SITES)
def site(request, settings):
    settings.SITE_URL = request.param
    return request.param


def _values():
    token = signing.dumps({"t": 12345, "r": 678}, salt=LINK_SALT)
    return [new_reference(), new_reference(), new_page_token(), token, "password-resets"]


def test_each_route_gives_the_url_that_was_built_by_hand(site):
    for value in _values():
        assert absolute_url("tickets:detail", value) == f"{site}/tickets/{value}/"
        assert absolute_url("escalations:page", value) == f"{site}/escalations/pages/{value}/"
        assert absolute_url("help:ticket", value) == f"{site}/help/t/{value}/"
    for slug in ["password-resets", "sop", "a1-b2_c3"]:
        assert absolute_url("sops:detail", slug) == f"{site}/sops/{slug}/"


def test_kwargs_are_passed_to_reverse(site):
    assert absolute_url("tickets:detail", reference="ABC234") == f"{site}/tickets/ABC234/"
    assert absolute_url("tickets:queue") == f"{site}/tickets/"


def test_a_path_starting_with_a_slash_is_joined_as_it_is(site):
    assert absolute_url("/help/t/x:y:z/") == f"{site}/help/t/x:y:z/"
    assert absolute_url("/") == f"{site}/"


def test_an_unknown_name_is_an_error_not_a_guess():
    with pytest.raises(NoReverseMatch):
        absolute_url("tickets:no-such-page")


def test_a_request_mounted_under_a_script_name_does_not_change_the_link(site):
    set_script_prefix("/mounted/")
    try:
        assert absolute_url("tickets:detail", "ABC234") == f"{site}/tickets/ABC234/"
    finally:
        set_script_prefix("/")


def test_a_site_url_ending_in_a_slash_is_joined_as_before(settings):
    settings.SITE_URL = "https://help.example.com/"
    assert absolute_url("tickets:detail", "ABC234") == "https://help.example.com//tickets/ABC234/"


@pytest.mark.django_db
def test_the_requesters_link_is_the_help_center_page_under_site_url(desk, site):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    link = requester_link(ticket)
    token = re.fullmatch(re.escape(site) + r"/help/t/([^/]+)/", link).group(1)
    assert ticket_for_link(token) == ticket


@pytest.mark.django_db
def test_the_sla_webhook_and_alert_link_to_the_ticket_under_site_url(desk, settings):
    settings.SITE_URL = "https://help.example.com"
    north = desk["vendors"]["north"]
    north.webhook_url = "https://hooks.northwind.example/helpdesk"
    north.save()
    tf.sla_policy(name="Standard", queues=[desk["queues"]["north"]],
                  breach_actions=["notify_assignee", "notify_vendor"])  # fmt: skip
    t0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        ticket = tf.ticket(desk["queues"]["north"])
        services.ticket_assign(actor=None, ticket=ticket, assignee=desk["people"]["north_agent"])
    with time_machine.travel(t0 + timedelta(minutes=61), tick=False):
        services.sla_sweep()
    url = f"https://help.example.com/tickets/{ticket.reference}/"
    breach = Notification.objects.filter(kind="sla_breach")
    assert breach.get(channel="webhook").payload["ticket"]["url"] == url
    assert url in breach.get(channel="email").body


HAND_BUILT = re.compile(r"SITE_URL\s*}\s*/|SITE_URL\s*\+")


def test_no_app_builds_an_absolute_url_by_hand():
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("accounts", "tickets", "sops", "escalations", "helpdesk", "core")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HAND_BUILT.search(line)
    ]
    assert offending == []
