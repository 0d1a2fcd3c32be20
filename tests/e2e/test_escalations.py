"""Escalations, incidents and on-call in the browser."""

import datetime
import re
from datetime import UTC, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.models import User
from escalations import services
from escalations.models import Escalation, EscalationReason, Page, Severity
from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets.models import Message, Notification, Queue


@pytest.fixture
def demo(transactional_db):
    from django.core.cache import cache

    from demo import seed as demo

    cache.clear()
    demo.seed_organisation()


def test_an_agent_escalates_a_lead_accepts_and_returns_it_and_the_agent_sees_the_note(
    page, demo, browser, live_server, console_errors
):  # fmt: skip
    ticket = tf.ticket(Queue.objects.get(name="General Support"), subject="Lawyer letter")
    sign_in(page, "northwind.agent@example.com")
    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("escalation-panel")
    panel.locator("summary", has_text="Escalate").click()
    # No reason is chosen for the agent: escalating without one names the field.
    expect(panel.get_by_label("Reason")).to_have_value("")
    panel.get_by_label("Summary for the team").fill("The requester's lawyer asks for records.")
    panel.get_by_role("button", name="Escalate").click()
    expect(panel.get_by_test_id("escalate-reason-error")).to_have_text("Choose a reason.")
    expect(panel.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    console_errors[:] = [e for e in console_errors if "400 (Bad Request)" not in e]
    panel.get_by_label("Reason").select_option(
        label="Legal or law-enforcement request → Trust & Safety"
    )
    panel.get_by_label("Severity").select_option(label="SEV3 — moderate")
    panel.get_by_label("Summary for the team").fill("The requester's lawyer asks for records.")
    panel.get_by_role("button", name="Escalate").click()
    expect(page.get_by_text("Escalated to Trust & Safety.")).to_be_visible()
    expect(panel.get_by_test_id("ticket-escalation-status")).to_have_text("Requested")

    lead = browser.new_context(base_url=live_server.url).new_page()
    sign_in(lead, "lead@example.com")
    lead.get_by_role("link", name="Escalations").click()
    card = lead.get_by_test_id("column-requested").get_by_test_id("escalation-card").filter(
        has_text=ticket.reference)  # fmt: skip
    card.get_by_role("button", name="Accept").click()
    accepted = lead.get_by_test_id("column-accepted").get_by_test_id("escalation-card").filter(
        has_text=ticket.reference)  # fmt: skip
    expect(accepted).to_be_visible()  # moved without a reload
    expect(lead.get_by_test_id("column-requested").get_by_test_id("escalation-card").filter(
        has_text=ticket.reference)).to_have_count(0)  # fmt: skip
    accepted.get_by_text("Return or resolve").click()
    accepted.get_by_label("Note or outcome").fill(
        "Send them the law-enforcement form, not records."
    )
    accepted.get_by_role("button", name="Return to agent").click()
    expect(lead.get_by_test_id("column-closed").get_by_test_id("escalation-card").filter(
        has_text=ticket.reference)).to_contain_text("Returned to agent")  # fmt: skip
    lead.context.close()

    page.reload()
    expect(panel.get_by_test_id("ticket-escalation-status")).to_have_text("Returned to agent")
    expect(panel.get_by_test_id("ticket-escalation-note")).to_contain_text(
        "Send them the law-enforcement form"
    )
    assert Escalation.objects.get(ticket=ticket).status == "returned"


def test_an_incident_collects_three_tickets_and_one_update_reaches_all_three(page, demo):
    queue = Queue.objects.get(name="General Support")
    tickets = [tf.ticket(queue, subject=f"Video upload broken {n}") for n in range(3)]
    sign_in(page, "lead@example.com")
    page.get_by_role("link", name="Incidents").click()
    page.get_by_role("link", name="New incident").click()
    page.get_by_label("Title").fill("Video uploads failing")
    page.get_by_label("Severity").select_option(label="SEV3 — moderate")
    page.get_by_role("button", name="Open the incident").click()
    expect(page).to_have_title(re.compile("Video uploads failing"))

    page.get_by_placeholder("Search tickets to add").fill("upload broken")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_test_id("incident-search-results")
    boxes = results.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    for n in range(3):
        expect(boxes.nth(n)).not_to_be_checked()  # results start unticked
        boxes.nth(n).check()
    results.get_by_role("button", name="Link the ticked tickets").click()
    expect(page.get_by_test_id("incident-tickets").get_by_role("listitem")).to_have_count(3)

    page.get_by_label("Update", exact=True).fill("Fixed: uploads work again. Sorry!")
    page.get_by_label("Status").select_option(label="Resolved")
    page.get_by_label("Also send it as a public reply to every linked requester").check()
    page.get_by_role("button", name="Post update").click()
    # A preview first: the text, how many requesters; nothing is sent yet.
    preview = page.get_by_test_id("send-preview")
    expect(preview).to_contain_text("It will go to 3 requesters.")
    expect(preview.get_by_test_id("send-variant")).to_contain_text("Fixed: uploads work again.")
    assert not Message.objects.filter(ticket__in=tickets, author_type="agent").exists()
    preview.get_by_role("button", name="Post and send to 3 requesters").click()
    expect(page.get_by_text("queued as a reply to 3 requester(s)")).to_be_visible()
    expect(page.get_by_test_id("incident-status")).to_have_text("Resolved")
    for ticket in tickets:
        reply = Message.objects.filter(ticket=ticket, author_type="agent").get()
        assert reply.body == "Fixed: uploads work again. Sorry!" and reply.kind == "public"
        assert Notification.objects.filter(ticket=ticket, kind="requester_reply").count() == 1

    page.goto(f"/tickets/{tickets[0].reference}/")
    expect(page.get_by_test_id("incident-banner")).to_have_count(0)  # resolved: no banner


def test_an_unacknowledged_sev1_page_repeats_then_moves_to_the_next_person(page, demo):
    # Frozen on a Tuesday: Ana (agent@) is on call this week, Leila (lead@) next.
    from escalations.models import Rotation

    Rotation.objects.update(starts_on=datetime.date(2026, 11, 23))
    t0 = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    ticket = tf.ticket(Queue.objects.get(name="General Support"), subject="Threat to a school")
    reason_name = "Threat of violence"

    with time_machine.travel(t0, tick=False):
        escalation = services.escalation_raise(
            actor=User.objects.get(email="northwind.agent@example.com"),
            ticket=ticket,
            reason=EscalationReason.objects.get(name=reason_name),
            severity=Severity.SEV1,
            summary="A user threatens a school.",
        )
    page_row = Page.objects.get(escalation=escalation)
    assert page_row.target.email == "agent@example.com"

    def sweep(minutes: int) -> None:
        when = t0 + timedelta(minutes=minutes)
        with time_machine.travel(when, tick=False):
            services.pages_sweep(now=when)

    sweep(5)  # repeated to Ana
    sweep(10)  # repeated again
    sweep(15)  # three unanswered: Leila
    page_row.refresh_from_db()
    assert page_row.target.email == "lead@example.com" and page_row.attempts == 1
    sent = list(Notification.objects.filter(kind="page").order_by("id")
                .values_list("recipient", flat=True))  # fmt: skip
    assert sent == ["agent@example.com"] * 3 + ["lead@example.com"]

    with time_machine.travel(t0 + timedelta(minutes=16), tick=True):
        sign_in(page, "lead@example.com")
        page.goto("/escalations/on-call/")
        pages = page.get_by_test_id("open-pages")
        expect(pages).to_contain_text("paging Leila Haddad (try 1)")
        pages.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_test_id("page-status")).to_have_text("Acknowledged")
    sweep(60)
    assert Notification.objects.filter(kind="page").count() == 4  # no more after the ack
