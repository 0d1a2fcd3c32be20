"""The public help center: a request becomes a ticket with an acknowledgement whose
signed link opens the requester's own page; honeypot and rate limit stop robots."""

import re

import pytest
from django.core.cache import cache

from tickets.models import Message, Notification, Status, Ticket
from tickets.services import ticket_change_status, ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def help_center(desk, settings):
    cache.clear()
    settings.HELP_CENTER_QUEUE = desk["queues"]["inhouse"].slug
    return desk


def _form(**changes):  # type: ignore[no-untyped-def]
    return {"email": "Zoe@Example.net", "name": "Zoe", "category": "billing",
            "subject": "Charged twice", "description": "I was charged twice this month.",
            "website": "", **changes}  # fmt: skip


def test_a_request_becomes_a_ticket_and_the_link_opens_the_requesters_page(help_center, client):
    response = client.post("/help/", _form())
    assert response.status_code == 302 and response["Location"].startswith("/help/sent/")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.category, ticket.requester.email) == (
        "web",
        "billing",
        "zoe@example.net",
    )
    assert ticket.queue == help_center["queues"]["inhouse"]
    assert ticket.reference in client.get(response["Location"]).content.decode()
    ack = Notification.objects.get(kind="help_center_ack")
    assert ack.recipient == "zoe@example.net" and ack.payload["headers"]["Auto-Submitted"]
    link = re.search(r"http://\S+/help/t/(\S+)/", ack.body)
    page = client.get(f"/help/t/{link.group(1)}/")
    assert page.status_code == 200 and "I was charged twice this month." in page.content.decode()

    # An internal note never shows; an agent's reply does; the requester replies there.
    agent = help_center["people"]["inhouse_agent"]
    ticket_reply(actor=agent, ticket=ticket, body="Secret internal note", internal=True)
    ticket_reply(actor=agent, ticket=ticket, body="We refunded you.", status=Status.SOLVED)
    body = client.get(f"/help/t/{link.group(1)}/").content.decode()
    assert "We refunded you." in body and "Secret internal note" not in body
    client.post(f"/help/t/{link.group(1)}/", {"body": "It is still there."})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert Message.objects.filter(ticket=ticket, author_type="requester").count() == 2


def test_a_forged_or_altered_link_is_404(help_center, client):
    assert client.get("/help/t/not-a-token/").status_code == 404
    client.post("/help/", _form())
    link = re.search(r"/help/t/(\S+)/", Notification.objects.get().body).group(1)
    assert client.get(f"/help/t/{link[:-2]}xx/").status_code == 404


def test_bad_fields_are_shown_next_to_the_fields(help_center, client):
    response = client.post("/help/", _form(email="not-an-email", subject=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_email_error"' in body and 'id="id_subject_error"' in body
    assert not Ticket.objects.exists()


def test_the_honeypot_makes_no_ticket(help_center, client):
    response = client.post("/help/", _form(website="http://spam.example"))
    assert response.status_code == 302 and not Ticket.objects.exists()


def test_one_address_sending_too_many_is_slowed_down(help_center, client, settings):
    settings.HELP_CENTER_RATE = "2/m"
    assert client.post("/help/", _form()).status_code == 302
    assert client.post("/help/", _form()).status_code == 302
    response = client.post("/help/", _form())
    assert response.status_code == 429 and "Too many requests" in response.content.decode()
    assert Ticket.objects.count() == 2


def test_a_closed_ticket_cannot_be_answered_from_the_link(help_center, client):
    client.post("/help/", _form())
    ticket = Ticket.objects.get()
    link = re.search(r"/help/t/(\S+)/", Notification.objects.get().body).group(1)
    ticket_change_status(actor=None, ticket=ticket, status=Status.SOLVED)
    ticket_change_status(actor=None, ticket=ticket, status=Status.CLOSED)
    body = client.get(f"/help/t/{link}/").content.decode()
    assert "This request is closed" in body and "Send reply" not in body


def test_without_a_queue_the_form_says_it_is_closed(desk, client, settings):
    settings.HELP_CENTER_QUEUE = ""
    assert client.get("/help/").status_code == 503


def test_the_empty_forms_fields_are_rendered_once_per_language(help_center, client, settings):
    from django.template.loader import render_to_string

    from tickets.intake import help_center_views

    help_center_views._blank_fields_html.clear()
    english = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = client.get("/help/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Your email address" in english and "Your email address" not in spanish
    assert len(help_center_views._blank_fields_html) == 2
    again = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    tokens = re.compile(r'(?<=")[A-Za-z0-9]{64}(?=")')  # the only part of the page per request
    assert tokens.sub("", again) == tokens.sub("", english)
    fresh = render_to_string("tickets/help/_fields.html", {"form": help_center_views.RequestForm()})
    assert fresh.strip() in english  # what the cache holds is what the form renders
    settings.HELP_CENTER_CATEGORIES = ["account", "refunds"]  # another set: its own fields
    assert 'value="refunds"' in client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # A form sent back with errors is rendered with them, never from the cache.
    refused = client.post("/help/", _form(email="not an address"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "Zoe" in refused.content.decode()
