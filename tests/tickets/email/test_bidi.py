"""Bidirectional override characters are neutralised where subjects and names are shown:
cleaned at intake, and again on display for what was stored before (item 7 of issue 14)."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.models import User
from core import bidi
from tests import factories
from tests.tickets import factories as tf
from tickets.models import Requester, Ticket
from tickets.outbox import mail

pytestmark = pytest.mark.django_db
CONTROLS = list(bidi.CONTROLS)
EVERY = CONTROLS + list(bidi.MARKS)


def spoofed(text: str, char: str) -> str:
    """``text`` with ``char`` in the middle, as a spoofer would put it."""
    return f"{text[:4]}{char}{text[4:]}"


def has_controls(text: str) -> bool:
    return any(char in text for char in CONTROLS)


@pytest.mark.parametrize("char", CONTROLS)
def test_intake_removes_overrides_from_subjects_and_names(desk, char):
    requester = tf.requester(email="bea@example.org", name=spoofed("Bea Lopez", char))
    ticket = tf.ticket(desk["queues"]["inhouse"], subject=spoofed("Invoice fdp.exe", char),
                       requester_=requester)  # fmt: skip
    assert ticket.subject == "Invoice fdp.exe"
    assert Requester.objects.get(pk=requester.pk).name == "Bea Lopez"


@pytest.mark.parametrize("char", EVERY)
def test_intake_removes_every_bidi_control_from_peoples_names(org, char):
    admin = org["people"]["admin"]
    person = factories.user(full_name=spoofed("Ana Souza", char))
    assert person.full_name == "Ana Souza"
    account_services.user_update_preferences(actor=person, user=person,
                                             full_name=spoofed("Ana Maria", char))  # fmt: skip
    assert User.objects.get(pk=person.pk).full_name == "Ana Maria"
    account_services.user_update(actor=admin, user=person, full_name=spoofed("Ana Bela", char))
    assert User.objects.get(pk=person.pk).full_name == "Ana Bela"


def test_a_subject_keeps_one_directional_mark_but_not_a_run_of_them(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"], subject="مرحبا\u200f\u200f\u200f\u200f (123)")
    assert ticket.subject == "مرحبا\u200f (123)"


@pytest.fixture
def stored_before(desk):
    """A ticket whose subject, requester and assignee names were stored before intake
    cleaned them (written straight to the database)."""
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"], subject="Refund harbourmaster",
                       requester_=tf.requester(email="bea@example.org", name="Bea"))  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(
        subject="Refund \u202eharbourmaster\u202c \u2067x\u2069", assignee=agent
    )
    Requester.objects.filter(pk=ticket.requester_id).update(name="Bea\u202e Lopez\u200f")
    User.objects.filter(pk=agent.pk).update(full_name="Ana\u2066 Souza\u200e")
    ticket.refresh_from_db()
    return {**desk, "ticket": ticket, "agent": agent}


def test_queue_rows_and_search_show_stored_subjects_and_names_without_controls(
    stored_before, client
):
    client.force_login(stored_before["agent"])
    pages = [
        client.get("/tickets/", {"view": "all"}),
        client.get("/tickets/search/", {"q": "harbourmaster"}),
    ]
    for page in pages:
        html = page.content.decode()
        rows = html[html.index('class="table') : html.index("</table>")]
        assert stored_before["ticket"].reference in rows, page.request
        assert "Refund harbourmaster" in rows and "Bea Lopez" in rows and "<td>Ana</td>" in rows
        assert [char for char in rows if char in EVERY] == []


def test_the_ticket_header_and_title_show_the_subject_without_controls(stored_before, client):
    client.force_login(stored_before["agent"])
    body = client.get(f"/tickets/{stored_before['ticket'].reference}/").content.decode()
    title = body[body.index("<title>") : body.index("</title>")]
    header = body[body.index('data-testid="ticket-subject"') :].split("</h1>")[0]
    assert "Refund harbourmaster" in title and "Refund harbourmaster" in header
    assert not has_controls(title) and not has_controls(header)


@pytest.mark.parametrize("name", ["reply", "ack"])
def test_mail_subjects_carry_no_controls(stored_before, name):
    ticket = stored_before["ticket"]
    rendered = mail.render(name, {"ticket": ticket, "body": "Hello", "left_out": []},
                           language="en")  # fmt: skip
    assert "Refund harbourmaster" in rendered.subject and not has_controls(rendered.subject)
    assert rendered.subject.startswith(f"[{ticket.reference}]")


def test_a_ticket_made_through_intake_shows_no_controls_anywhere_on_its_page(desk, client):
    requester = tf.requester(email="bea@example.org", name="Bea\u202e Lopez")
    ticket = tf.ticket(desk["queues"]["inhouse"], subject="Refund \u202eharbourmaster",
                       requester_=requester)  # fmt: skip
    client.force_login(desk["people"]["inhouse_agent"])
    for path in (f"/tickets/{ticket.reference}/", "/tickets/?view=all"):
        assert not has_controls(client.get(path).content.decode())


def test_the_filter_cleans_subjects_and_names():
    from tickets.templatetags.tickets_tags import bidi_clean

    assert bidi_clean("a\u202eb\u200f\u200fc") == "ab\u200fc"
    assert bidi_clean("Ana\u200f \u2066Souza", "name") == "Ana Souza"
    assert bidi_clean(None) == ""
