"""SOPs in the browser: an admin writes and publishes, agents acknowledge and follow."""

import re

import pytest
from playwright.sync_api import expect

from sops.models import SOP, SOPVersion
from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets.models import Event


@pytest.fixture
def demo_sops(transactional_db):
    """The demo organisation with its SOPs (one with two versions, one proposal in review)."""
    from django.core.cache import cache

    from demo import seed as demo

    cache.clear()
    demo.seed_organisation()


def test_an_admin_edits_previews_diffs_and_publishes(page, demo_sops):
    sign_in(page, "admin@example.com")
    page.get_by_role("link", name="SOPs").click()
    page.get_by_role("link", name="Refunds for duplicate charges").click()
    page.get_by_role("button", name="Edit (new draft)").click()
    expect(page).to_have_title(re.compile("Edit version 2"))

    body = page.get_by_label("Procedure (Markdown)")
    body.press("Control+End")
    body.type("\n\n## Chargebacks\n\nIf the bank already reversed it, do **not** refund.")
    preview = page.get_by_test_id("sop-preview")
    expect(preview.get_by_role("heading", name="Chargebacks")).to_be_visible()
    expect(preview.locator("strong").last).to_have_text("not")
    page.get_by_label("Checklist steps, one per line, in order").press("Control+End")
    page.get_by_label("Checklist steps, one per line, in order").type("\nCheck for a chargeback")
    page.get_by_label("What changed").fill("Adds chargebacks")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    page.get_by_role("link", name="Compare with the version in force").click()
    expect(page).to_have_title(re.compile("v1 and v2"))
    inserted = page.locator("tr.diff-insert")
    expect(inserted.filter(has_text="## Chargebacks")).to_have_count(1)
    expect(inserted.filter(has_text="Check for a chargeback")).to_have_count(1)
    page.go_back()

    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("draft-state")).to_have_text("In review")
    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text("Published.")).to_be_visible()
    expect(page.get_by_test_id("sop-version")).to_contain_text("Version 2")
    expect(
        page.get_by_test_id("sop-body").get_by_role("heading", name="Chargebacks")
    ).to_be_visible()
    sop = SOP.objects.get(title="Refunds for duplicate charges")
    assert sop.current_version.number == 2
    assert SOPVersion.objects.get(sop=sop, number=1).state == SOPVersion.State.ARCHIVED


def test_an_agent_sees_the_banner_and_acknowledges(page, demo_sops):
    sign_in(page, "northwind.agent@example.com")
    # One line (the two SOPs shared with Northwind) until it is opened.
    line = page.get_by_test_id("sop-banner-line")
    expect(line).to_have_text("2 SOPs need your acknowledgement — review")
    expect(page.get_by_test_id("sop-banner-item").first).to_be_hidden()
    line.click()
    expect(page.get_by_test_id("sop-banner-item")).to_have_count(2)
    # One from its own page...
    page.get_by_test_id("sop-banner").get_by_role(
        "link", name="Refunds for duplicate charges").click()  # fmt: skip
    page.get_by_role("button", name="I have read and will follow this SOP").click()
    expect(page.get_by_test_id("sop-acknowledged")).to_be_visible()
    # The banner drops it at once, and stays without it on the next page.
    expect(line).to_have_text("1 SOP needs your acknowledgement — review")
    page.goto("/tickets/")
    expect(line).to_have_text("1 SOP needs your acknowledgement — review")
    expect(page.get_by_test_id("sop-banner")).not_to_contain_text("Refunds")
    # ... and the other from the banner itself, on any page.
    line.click()
    page.get_by_test_id("sop-banner").get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(page.get_by_test_id("sop-banner-done")).to_be_visible()
    expect(page.get_by_test_id("sop-banner-done")).to_be_focused()  # not lost with the button
    page.reload()
    expect(page.get_by_test_id("sop-banner")).to_have_count(0)
    assert page.url.endswith("/tickets/")


def test_the_sop_panel_on_a_matching_ticket_and_ticks_on_the_timeline(page, demo_sops):
    from tickets.models import Queue

    ticket = tf.ticket(Queue.objects.get(name="General Support"), subject="Charged twice",
                       category="billing", tags=["refund"])  # fmt: skip
    sign_in(page, "agent@example.com")
    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.get_by_test_id("sop-panel")
    expect(panel.get_by_test_id("ticket-sop")).to_have_count(1)
    expect(panel).to_contain_text("Refunds for duplicate charges")
    panel.get_by_label("Find both charges").check()
    expect(panel).to_contain_text("1/3 done")
    panel.get_by_label("Refund the second charge").check()
    expect(panel).to_contain_text("2/3 done")

    panel.get_by_role("button", name="Insert “Refund issued” (en)").click()
    expect(page.get_by_test_id("macro-preview-note")).to_be_visible()
    expect(page.get_by_label("Message")).to_have_value(re.compile("refunded the duplicate charge"))

    page.locator("#timeline-details summary").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-kind="sop_step_done"]')).to_have_count(2)
    expect(timeline).to_contain_text("Refund the second charge")
    assert Event.objects.filter(ticket=ticket, kind="sop_step_done").count() == 2


def test_a_vendor_agent_cannot_open_an_unshared_sop(page, demo_sops, console_errors):
    sign_in(page, "northwind.agent@example.com")
    page.goto("/sops/")
    expect(page.get_by_test_id("sop-row")).to_have_count(2)
    expect(page.get_by_test_id("sop-list")).not_to_contain_text("Impersonation")
    response = page.goto("/sops/impersonation-reports/")
    assert response.status == 404
    console_errors.clear()  # the browser logs the 404 itself
