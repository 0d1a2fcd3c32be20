"""The ticket page's composer: a macro's preview says what sending will change, "Send and
next", the next-ticket shortcut, and messages that arrive while the agent writes."""

import re

import pytest

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Message, Priority, Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(desk, client):
    agent = desk["people"]["north_agent"]
    client.force_login(agent)
    return {**desk, "agent": agent,
            "ticket": tf.ticket(desk["queues"]["north"], subject="Double charge")}  # fmt: skip


def _note(client, ticket: Ticket, macro) -> str:  # type: ignore[no-untyped-def]
    body = client.post(f"/tickets/{ticket.reference}/macro-preview/",
                       {"macro": macro.pk}).content.decode()  # fmt: skip
    found = re.search(r'data-testid="macro-preview-note">(.*?)</p>', body, re.S)
    assert found, body
    return re.sub(r"<[^>]+>", "", found.group(1))


# ------------------------------------------------------------ item 16: macro preview


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"set_status": Status.SOLVED}, "Sending will also set the status to Solved."),
        ({"set_priority": Priority.HIGH}, "Sending will also set the priority to High."),
        ({"add_tags": ["refund"]}, "Sending will also add the tag refund."),
        ({"add_tags": ["refund", "card"]}, "Sending will also add the tags refund and card."),
        ({"set_status": Status.SOLVED, "set_priority": Priority.HIGH, "add_tags": ["refund"]},
         "Sending will also set the status to Solved, set the priority to High and add the "
         "tag refund."),
    ],
)  # fmt: skip
def test_a_macros_preview_names_each_change_sending_will_make(north, client, fields, words):
    macro = tf.macro(body="Refund done", **fields)
    assert _note(client, north["ticket"], macro).endswith(words)


def test_a_macro_that_moves_the_ticket_names_the_queue(north, client):
    macro = tf.macro(body="Passing this on", set_queue=north["queues"]["north_t2"])
    assert _note(client, north["ticket"], macro).endswith(
        "Sending will also move the ticket to Northwind Tier 2."
    )


def test_a_macro_that_changes_nothing_only_asks_to_read_it(north, client):
    note = _note(client, north["ticket"], tf.macro(body="Hello"))
    assert note.endswith("read it, edit it, then send.")
    assert "Sending will also" not in note and "actions" not in note


# ------------------------------------------------------------ item 18: send and next


def test_send_and_next_sends_then_opens_the_next_waiting_ticket(north, client):
    ticket = north["ticket"]
    services.ticket_assign(actor=north["agent"], ticket=ticket, assignee=north["agent"])
    waiting = tf.ticket(north["queues"]["north"], subject="Waiting")
    response = client.post(f"/tickets/{ticket.reference}/reply/",
                           {"body": "Refunded.", "then": "next"})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{waiting.reference}/"
    assert Message.objects.filter(ticket=ticket, body="Refunded.").exists()
    waiting.refresh_from_db()
    assert waiting.assignee == north["agent"]
    page = client.get(response["Location"]).content.decode()
    assert "Reply queued for sending to the requester." in page


def test_send_and_next_with_a_solve_costs_the_same_few_statements_each_time(
    north, client, django_assert_max_num_queries
):
    """The reply, its status, the SLA clocks, the apps' hooks and the next ticket's claim:
    29 statements in bench/agents.py's database (45 before the ticket was locked once
    per transaction and the configuration version read once per request)."""
    agent, queue = north["agent"], north["queues"]["north"]
    first = north["ticket"]
    services.ticket_assign(actor=agent, ticket=first, assignee=agent)
    second, third = tf.ticket(queue, subject="Second"), tf.ticket(queue, subject="Third")
    form = {"body": "Refunded, with zanzibar points.", "status": Status.SOLVED, "then": "next"}
    client.post(f"/tickets/{first.reference}/reply/", form)  # the caches, warm
    second.refresh_from_db()
    assert second.assignee == agent
    with django_assert_max_num_queries(32):
        response = client.post(f"/tickets/{second.reference}/reply/", form)
    assert response["Location"] == f"/tickets/{third.reference}/"
    second.refresh_from_db()
    reply = Message.objects.get(ticket=second, body=form["body"])
    assert (second.status, second.solved_at) == (Status.SOLVED, second.updated_at)
    assert second.first_reply_at == reply.created_at
    # The reply's words joined the ticket's search document in the same UPDATE.
    assert Ticket.objects.filter(pk=second.pk, search_vector="zanzibar").exists()


def test_send_and_next_goes_back_to_the_queue_when_nothing_waits(north, client):
    ticket = north["ticket"]
    services.ticket_assign(actor=north["agent"], ticket=ticket, assignee=north["agent"])
    response = client.post(f"/tickets/{ticket.reference}/reply/",
                           {"body": "Refunded.", "then": "next"}, follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == "/tickets/"
    body = response.content.decode()
    assert "No unassigned ticket is waiting in your queues and languages." in body
    assert Message.objects.filter(ticket=ticket, body="Refunded.").exists()


def test_a_plain_send_stays_on_the_ticket(north, client):
    tf.ticket(north["queues"]["north"], subject="Waiting")
    ticket = north["ticket"]
    response = client.post(f"/tickets/{ticket.reference}/reply/", {"body": "Refunded."})
    assert response["Location"] == f"/tickets/{ticket.reference}/"


def test_the_ticket_page_has_both_send_buttons_and_the_next_ticket_form(north, client):
    body = client.get(f"/tickets/{north['ticket'].reference}/").content.decode()
    assert re.search(r'<button type="submit" name="then" value="next"[^>]*>Send and next<', body)
    # static/js/app.js presses the form with this id when "n" is typed.
    form = re.search(r'<form method="post" action="/tickets/next/" id="next-ticket-form"', body)
    assert form and 'aria-keyshortcuts="n"' in body


# ------------------------------------------- item 18: messages that arrive meanwhile


def _seen(page: str) -> str:
    return re.search(r'name="seen" value="(\d+)" form="reply-form"', page).group(1)


def test_a_message_that_arrived_after_the_page_opened_is_shown_before_sending(north, client):
    ticket = north["ticket"]
    url = f"/tickets/{ticket.reference}/reply/"
    seen = _seen(client.get(f"/tickets/{ticket.reference}/").content.decode())
    news = services.ticket_requester_reply(ticket=ticket, body="Never mind, it was my bank.")
    response = client.post(url, {"body": "We refunded you.", "seen": seen, "then": "next"})
    assert response.status_code == 409
    assert not Message.objects.filter(body="We refunded you.").exists()  # not sent
    page = response.content.decode()
    # The new message is marked, the draft kept, and a note says what happened.
    marked = re.findall(r'<li class="[^"]*message-new[^"]*"[^>]*data-testid="new-message"', page)
    assert len(marked) == 1 and "Never mind, it was my bank." in page
    assert ">We refunded you.</textarea>" in page
    assert 'data-testid="new-messages-note"' in page
    assert "Your reply was not sent: read it, then press Send again." in page
    # The page now names the new message as seen: pressing Send again sends.
    assert _seen(page) == str(news.pk)
    again = client.post(url, {"body": "We refunded you.", "seen": _seen(page)})
    assert again.status_code == 302
    assert Message.objects.filter(body="We refunded you.").count() == 1


def test_several_new_messages_are_all_marked_and_counted(north, client, django_user_model):
    ticket = north["ticket"]
    seen = _seen(client.get(f"/tickets/{ticket.reference}/").content.decode())
    services.ticket_requester_reply(ticket=ticket, body="Hello?")
    services.ticket_reply(actor=north["people"]["north_lead"], ticket=ticket,
                          body="Lead here: checking the bank.", internal=True)  # fmt: skip
    response = client.post(f"/tickets/{ticket.reference}/reply/",
                           {"body": "Draft", "seen": seen})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 409 and page.count('data-testid="new-message"') == 2
    assert "2 new messages arrived while you were writing" in page


def test_the_agents_own_messages_never_hold_a_reply(north, client):
    ticket = north["ticket"]
    seen = _seen(client.get(f"/tickets/{ticket.reference}/").content.decode())
    services.ticket_reply(actor=north["agent"], ticket=ticket, body="Note from my other tab",
                          internal=True)  # fmt: skip
    response = client.post(f"/tickets/{ticket.reference}/reply/", {"body": "Sent", "seen": seen})
    assert response.status_code == 302


@pytest.mark.parametrize("seen", ["", "abc", "-1", "9" * 40, "١٢"])
def test_a_missing_or_edited_seen_value_sends_without_the_check(north, client, seen):
    response = client.post(f"/tickets/{north['ticket'].reference}/reply/",
                           {"body": "Sent anyway", "seen": seen})  # fmt: skip
    assert response.status_code == 302


def test_a_held_reply_from_a_macro_still_says_what_sending_will_change(north, client):
    macro = tf.macro(body="Refunded", set_status=Status.SOLVED)
    ticket = north["ticket"]
    seen = _seen(client.get(f"/tickets/{ticket.reference}/").content.decode())
    services.ticket_requester_reply(ticket=ticket, body="Hello?")
    response = client.post(f"/tickets/{ticket.reference}/reply/",
                           {"body": "Refunded", "macro": macro.pk, "seen": seen})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 409
    assert "Sending will also set the status to Solved." in page
    assert f'<option value="{macro.pk}" selected>' in page
    assert f'<input type="hidden" name="macro" value="{macro.pk}">' in page


def test_a_reply_refused_for_another_reason_also_marks_what_came_in(north, client):
    ticket = north["ticket"]
    seen = _seen(client.get(f"/tickets/{ticket.reference}/").content.decode())
    services.ticket_requester_reply(ticket=ticket, body="Hello?")
    response = client.post(f"/tickets/{ticket.reference}/reply/", {"body": "", "seen": seen})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="id_body_error"' in page
    assert page.count('data-testid="new-message"') == 1
