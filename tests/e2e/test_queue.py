"""An agent's day in the browser: the queue, next ticket, macros, notes, bulk, merge."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets.models import Message, Status, Ticket


@pytest.fixture
def floor(transactional_db):
    """The demo organisation, queues and macros, with a few known tickets (no random ones)."""
    from helpdesk import demo
    from tickets.models import Queue

    demo.seed_organisation()
    general = Queue.objects.get(name="General Support")
    payments = Queue.objects.get(name="Payments")
    tickets = {
        "es": tf.ticket(general, subject="No puedo iniciar sesión", language="es"),
        "en": tf.ticket(
            general,
            subject="Refund for a double charge",
            language="en",
            requester_=tf.requester(name="Maya Lopez"),
        ),  # fmt: skip
        "dup": tf.ticket(general, subject="Refund again (duplicate)", language="en"),
        "pay": tf.ticket(payments, subject="Payments only ticket", language="en"),
    }
    return {"general": general, "tickets": tickets}


def test_working_the_queue_with_filters_updates_the_list_and_the_url(page, floor):
    sign_in(page, "agent@example.com")
    page.get_by_role("link", name="Queue").click()
    page.get_by_role("link", name=re.compile("All active")).click()
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(3)  # Payments is not a queue of this in-house agent
    page.get_by_role("textbox", name="Language").fill("es")
    page.get_by_role("textbox", name="Language").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No puedo iniciar sesión")
    expect(page).to_have_url(re.compile(r"language=es"))
    page.reload()
    expect(page.get_by_test_id("ticket-row")).to_have_count(1)


def test_next_ticket_by_keyboard_then_reply_with_a_macro(page, floor):
    sign_in(page, "agent@example.com")  # Ana speaks en, pt, es
    page.goto("/tickets/")
    page.keyboard.press("n")
    expect(page.get_by_test_id("ticket-reference")).to_be_visible()
    reference = page.get_by_test_id("ticket-reference").inner_text()
    claimed = Ticket.objects.get(reference=reference)
    assert claimed.assignee.email == "agent@example.com"

    page.get_by_label(re.compile("Insert a macro")).select_option(label="Refund issued (en)")
    expect(page.get_by_test_id("macro-preview-note")).to_be_visible()
    body = page.get_by_label("Message")
    expect(body).to_have_value(re.compile(reference))
    body.fill(body.input_value() + "\nP.S. Sorry for the trouble.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Solved")
    last = Message.objects.filter(ticket=claimed).latest("id")
    assert last.body.endswith("Sorry for the trouble.") and last.kind == "public"
    assert Ticket.objects.get(pk=claimed.pk).tags == ["refund"]


def test_an_internal_note_is_marked_as_such(page, floor):
    ticket = floor["tickets"]["en"]
    sign_in(page, "agent@example.com")
    page.goto(f"/tickets/{ticket.reference}/")
    page.get_by_label("Message").fill("Checked the payment logs: duplicate confirmed.")
    page.get_by_label(re.compile("Internal note")).check()
    page.get_by_role("button", name="Send").click()
    note = page.locator('[data-kind="internal"]')
    expect(note).to_contain_text("duplicate confirmed")
    expect(note).to_contain_text("Internal note")
    assert not ticket.notifications.exists()


def test_bulk_assign_selected_rows_to_me(page, floor):
    sign_in(page, "agent@example.com")
    page.goto("/tickets/?view=unassigned")
    for key in ("es", "en"):
        ref = floor["tickets"][key].reference
        page.get_by_label(f"Select {ref}").check()
    page.get_by_label("With selected").select_option("assign")
    page.get_by_label("Value").fill("me")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="2 ticket(s) updated")).to_be_visible()
    assigned = Ticket.objects.filter(assignee__email="agent@example.com")
    assert set(assigned.values_list("reference", flat=True)) == {
        floor["tickets"]["es"].reference, floor["tickets"]["en"].reference}  # fmt: skip


def test_merge_a_duplicate_into_another_ticket(page, floor):
    dup, original = floor["tickets"]["dup"], floor["tickets"]["en"]
    sign_in(page, "agent@example.com")
    page.goto(f"/tickets/{dup.reference}/")
    page.get_by_label("Merge this ticket into").fill(original.reference)
    page.get_by_role("button", name="Merge").click()
    # It asks first, naming both tickets and, as they are two people's, both of them.
    confirm = page.get_by_test_id("merge-confirm")
    expect(confirm).to_contain_text(dup.reference)
    expect(confirm).to_contain_text(original.reference)
    expect(confirm).to_contain_text("Maya Lopez")
    assert Ticket.objects.get(pk=dup.pk).status != Status.CLOSED
    page.get_by_label(re.compile("I want to merge the ticket of")).check()
    page.get_by_role("button", name="Merge the tickets").click()
    expect(page).to_have_url(re.compile(original.reference))
    expect(page.get_by_test_id("conversation")).to_contain_text("was merged into this ticket")
    assert Ticket.objects.get(pk=dup.pk).status == Status.CLOSED


def test_a_vendor_agent_cannot_open_another_vendors_ticket_by_url(page, floor, console_errors):
    foreign = floor["tickets"]["en"]  # General Support: in-house and Northwind, not Atlas
    sign_in(page, "atlas.agent@example.com")
    response = page.goto(f"/tickets/{foreign.reference}/")
    assert response.status == 404
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(foreign.subject)
    console_errors.clear()  # the browser logs the 404 itself


def test_sla_targets_show_in_the_queue_and_a_reply_meets_first_reply(page, floor):
    # The demo's standard policy: normal priority gets 8 hours for a first reply.
    ticket = floor["tickets"]["en"]
    sign_in(page, "agent@example.com")
    page.goto("/tickets/?view=all")
    row = page.get_by_test_id("ticket-row").filter(has_text=ticket.subject)
    expect(row.locator(".badge.text-bg-success")).to_contain_text(re.compile(r"left$"))
    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("sla-panel")
    expect(panel.get_by_role("heading", name="SLA targets")).to_be_visible()
    first = panel.locator("li").filter(has_text="First reply")
    expect(first).to_contain_text(re.compile(r"\d+h( \d+m)? left"))
    page.get_by_label("Message").fill("We are looking into the double charge.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("sla-panel").locator("li").filter(has_text="First reply")
           ).to_contain_text("Met")  # fmt: skip
    resolution = page.get_by_test_id("sla-panel").locator("li").filter(has_text="Resolution")
    expect(resolution).to_contain_text("left")
