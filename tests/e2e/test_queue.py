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
    from demo import seed as demo
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
    # The languages on offer are those of the tickets this person may see.
    language = page.locator("#queue-filters").get_by_role("combobox", name="Language")
    expect(language.locator("option")).to_have_text(["Any language", "English (en)",
                                                     "Spanish (es)"])  # fmt: skip
    language.select_option("es")
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
    page.get_by_role("button", name="Send", exact=True).click()
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
    page.get_by_role("button", name="Send", exact=True).click()
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
    page.get_by_label("Assign to").select_option("me")
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
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_test_id("sla-panel").locator("li").filter(has_text="First reply")
           ).to_contain_text("Met")  # fmt: skip
    resolution = page.get_by_test_id("sla-panel").locator("li").filter(has_text="Resolution")
    expect(resolution).to_contain_text("left")


def test_select_all_by_keyboard_then_set_a_status_from_its_picker(page, floor):
    sign_in(page, "agent@example.com")
    page.goto("/tickets/?view=all")
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(3)
    select_all = page.get_by_label("Select every ticket on this page")
    select_all.focus()
    page.keyboard.press("Space")
    for box in page.get_by_role("checkbox", name=re.compile(r"^Select [0-9A-Z]{10}$")).all():
        expect(box).to_be_checked()
    page.get_by_label("With selected").select_option("status")
    expect(page.get_by_label("Assign to")).to_be_hidden()  # only the chosen action's picker
    page.get_by_label("New status").select_option(label="Pending")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="3 ticket(s) updated")).to_be_visible()
    general = [t.pk for key, t in floor["tickets"].items() if key != "pay"]
    assert set(Ticket.objects.filter(pk__in=general).values_list("status", flat=True)) == {
        Status.PENDING}  # fmt: skip


def test_the_refresh_keeps_focus_ticks_and_position_and_announces_new_tickets(page, floor):
    page.clock.install()
    sign_in(page, "agent@example.com")
    page.goto("/tickets/?view=all&sort=oldest")
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(3)
    assert page.locator("#queue-table").get_attribute("aria-live") is None
    first = rows.nth(0).get_attribute("data-reference")
    second = rows.nth(1).get_attribute("data-reference")
    page.get_by_label(f"Select {first}").check()
    page.get_by_role("heading", name="Queue").click()  # out of the checkbox, as j/k need
    page.keyboard.press("j")
    page.keyboard.press("j")
    focused = page.locator(f'tr[data-reference="{second}"] a.ticket-link')
    expect(focused).to_be_focused()

    tf.ticket(floor["general"], subject="Arrived while looking", language="en")
    page.clock.fast_forward("00:16")  # the table refreshes every 15 seconds
    expect(rows).to_have_count(4)
    expect(page.locator("#queue-news")).to_have_text("1 new ticket")
    expect(page.get_by_label(f"Select {first}")).to_be_checked()
    expect(focused).to_be_focused()
    expect(page.locator(f'tr[data-reference="{second}"]')).to_have_class(re.compile("is-current"))
    page.keyboard.press("j")  # the position carries on from where it was
    third = rows.nth(2).get_attribute("data-reference")
    expect(page.locator(f'tr[data-reference="{third}"] a.ticket-link')).to_be_focused()

    page.clock.fast_forward("00:16")  # nothing new: nothing more to say
    expect(page.locator("#queue-news")).to_have_text("")


def test_save_a_filtered_sorted_view_and_open_it_from_the_sidebar(page, floor):
    sign_in(page, "agent@example.com")
    page.goto("/tickets/?view=all")
    page.get_by_role("combobox", name="Sort").select_option("newest")
    page.get_by_role("checkbox", name="New", exact=True).check()
    expect(page).to_have_url(re.compile(r"status=new.*sort=newest|sort=newest.*status=new"))
    page.get_by_text("Save this view").click()
    page.get_by_label("Name of this view").fill("Newest new")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status").filter(has_text="View “Newest new” saved.")).to_be_visible()
    page.goto("/tickets/?view=mine")
    page.get_by_test_id("saved-view").filter(has_text="Newest new").click()
    expect(page).to_have_url(re.compile(r"view=all&status=new&sort=newest$"))
    expect(page.get_by_role("checkbox", name="New", exact=True)).to_be_checked()
    expect(page.get_by_role("combobox", name="Sort")).to_have_value("newest")
