"""The composer in the browser: a message that arrives while the agent writes is shown
before anything is sent, "Send and next", and n on the ticket page."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Message, Ticket


@pytest.fixture
def three_waiting(transactional_db):
    from demo import seed as demo
    from tickets.models import Queue

    demo.seed_organisation()
    general = Queue.objects.get(name="General Support")
    return [tf.ticket(general, subject=f"Refund question {n}", language="en") for n in (1, 2, 3)]


def test_a_message_that_came_in_is_shown_first_then_send_and_next_and_n(
    page, three_waiting, console_errors
):
    sign_in(page, "agent@example.com")
    page.goto("/tickets/")
    page.keyboard.press("n")
    expect(page.get_by_test_id("ticket-reference")).to_be_visible()
    first = Ticket.objects.get(reference=page.get_by_test_id("ticket-reference").inner_text())

    page.get_by_label("Message").fill("We refunded the second charge.")
    # The requester writes while the agent is typing.
    services.ticket_requester_reply(ticket=first, body="Update: my bank says it was reversed.")
    page.get_by_role("button", name="Send and next").click()

    expect(page.get_by_test_id("new-messages-note")).to_contain_text("Your reply was not sent")
    new = page.get_by_test_id("new-message")
    expect(new).to_have_count(1)
    expect(new).to_contain_text("my bank says it was reversed")
    expect(new).to_be_in_viewport()  # scrolled to, to be read first
    expect(page.get_by_label("Message")).to_have_value("We refunded the second charge.")
    assert not Message.objects.filter(body="We refunded the second charge.").exists()
    # The page came back as 409 Conflict, which the browser logs: expected here.
    console_errors[:] = [e for e in console_errors if "409 (Conflict)" not in e]

    # Having read it, the agent edits and presses again: sent, and the next ticket opens.
    page.get_by_label("Message").fill("Glad it was reversed; nothing more to do.")
    page.get_by_role("button", name="Send and next").click()
    expect(page.get_by_text("Reply queued for sending to the requester.")).to_be_visible()
    second_ref = page.get_by_test_id("ticket-reference").inner_text()
    assert second_ref != first.reference
    assert Message.objects.filter(ticket=first, body__startswith="Glad it was").exists()
    assert Ticket.objects.get(reference=second_ref).assignee.email == "agent@example.com"

    # n on the ticket page claims and opens the next one too.
    page.locator("main").click(position={"x": 5, "y": 5})  # focus out of any field
    page.keyboard.press("n")
    expect(page.get_by_test_id("ticket-reference")).not_to_have_text(second_ref)
    third_ref = page.get_by_test_id("ticket-reference").inner_text()
    assert third_ref not in (first.reference, second_ref)
    # Nothing left: back to the queue, saying so.
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/tickets/$"))
    expect(page.get_by_text("No unassigned ticket is waiting")).to_be_visible()
