"""Mail to agents and leads (SLA alerts, on-call pages) is in the recipient's chosen UI
language; without one, in the first of their languages (skills) the helpdesk speaks."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from accounts.models import User
from escalations import services as escalation_services
from escalations.models import Incident, Severity
from tests.escalations import factories as ef
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Notification
from tickets.outbox import mail

T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
UI_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def mail_language(notification: Notification) -> str:
    match = re.search(r'<html lang="([^"]+)"', notification.body_html)
    assert match, "no <html lang> in the mail"
    return match[1]


def set_ui_language(user, code: str) -> None:
    user.ui_language = code
    user.save(update_fields=["ui_language"])


def test_language_for_prefers_the_ui_language_then_the_skills():
    person = User(ui_language="", languages=["nl", "es", "en"])
    assert mail.language_for(person) == "es"  # Dutch is not a UI language
    person.ui_language = "de"
    assert mail.language_for(person) == "de"
    assert mail.language_for(User(ui_language="", languages=["zh"])) == "zh-hans"
    assert mail.language_for(User(ui_language="", languages=["pt"])) == "pt"
    assert mail.language_for(User(ui_language="", languages=[])) == "en"
    assert mail.supported_language("es-MX", "ar") == "es"
    assert mail.supported_language("", None, "xx", "PT-br") == "pt"


@pytest.mark.django_db
@pytest.mark.parametrize("code", UI_LANGUAGES)
def test_sla_alerts_go_out_in_each_recipients_language(desk, code):
    agent, lead = desk["people"]["north_agent"], desk["people"]["north_lead"]
    set_ui_language(agent, code)
    lead.languages = ["ar", "en"]
    lead.save(update_fields=["languages"])
    tf.sla_policy(queues=[desk["queues"]["north"]], warning_actions=["notify_assignee"],
                  breach_actions=["notify_assignee", "notify_lead"])  # fmt: skip
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(desk["queues"]["north"])
        services.ticket_assign(actor=None, ticket=ticket, assignee=agent)
    for minutes in (46, 61):  # the warning, then the breach
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            services.sla_sweep()
    sent = {(n.kind, n.recipient): mail_language(n)
            for n in Notification.objects.filter(channel="email")}  # fmt: skip
    assert sent == {
        ("sla_warning", agent.email): code,
        ("sla_breach", agent.email): code,
        ("sla_breach", lead.email): "ar",  # no UI language chosen: the first skill
    }


@pytest.mark.django_db
def test_pages_go_out_in_the_paged_persons_language(desk):
    people = [desk["people"]["inhouse_agent"], desk["people"]["inhouse_lead"]]
    set_ui_language(people[0], "fr")
    people[1].languages = ["ja"]
    people[1].save(update_fields=["languages"])
    rotation = ef.rotation(desk["teams"]["inhouse"], people, time_zone="UTC",
                           repeat_minutes=5, repeats=1)  # fmt: skip
    t0 = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        escalation_services.page_open(
            rotation=rotation, severity=Severity.SEV1, summary="Outage", now=t0,
            incident=Incident.objects.create(title="Outage", severity=Severity.SEV1),
        )  # fmt: skip
    when = t0 + timedelta(minutes=5)
    with time_machine.travel(when, tick=False):
        escalation_services.pages_sweep(now=when)
    pages = Notification.objects.filter(kind="page", channel="email").order_by("id")
    assert [(n.recipient, mail_language(n)) for n in pages] == [
        (people[0].email, "fr"),
        (people[1].email, "ja"),
    ]
