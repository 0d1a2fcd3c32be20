"""The dashboards in the browser: a lead's home, a slice and a range switched in place, a
number opened as its tickets; a vendor's lead kept to their vendor; Arabic right to left
with every chart's table."""

import re

import pytest
from playwright.sync_api import expect

from analytics.fold import fold_all
from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets import services


@pytest.fixture
def numbers(transactional_db):
    """The demo organisation with known tickets made through the services (so the
    analytics facts are written) and folded into the rollups."""
    from django.core.cache import cache

    from accounts.models import User
    from demo import seed as demo
    from tickets.models import Queue

    cache.clear()
    demo.seed_organisation()
    queues = {queue.name: queue for queue in Queue.objects.all()}
    general, payments = queues["General Support"], queues["Payments"]
    spanish = [tf.ticket(general, subject=f"No puedo pagar {n}", language="es") for n in range(3)]
    english = tf.ticket(general, subject="Cannot pay", language="en")
    tf.ticket(queues["Trust & Safety"], subject="Harassment report", language="en")
    northwind = tf.ticket(payments, subject="Pago duplicado", language="es")
    tf.ticket(queues["MENA & Europe"], subject="Atlas only", language="ar")
    agent = User.objects.get(email="agent@example.com")
    services.ticket_reply(actor=agent, ticket=english, body="Fixed.", status="solved")
    fold_all()
    return {"spanish": spanish, "english": english, "northwind": northwind}


def test_a_lead_lands_on_the_dashboard_slices_ranges_and_opens_the_tickets(page, numbers):
    sign_in(page, "lead@example.com")
    expect(page).to_have_title(re.compile("^Dashboard · Helpdesk"))
    expect(page.get_by_test_id("tile-created").get_by_test_id("tile-link")).to_contain_text("5")
    expect(page.get_by_test_id("queue-table")).to_contain_text("General Support")
    expect(page.get_by_test_id("vendor-table")).to_be_visible()

    page.get_by_label("Show only").select_option(label="Spanish (es)")  # htmx, no reload
    summary = page.get_by_test_id("analytics-summary")
    expect(summary).to_contain_text("Language: Spanish (es)")
    expect(page).to_have_url(re.compile(r"slice=language%3Aes"))
    expect(page.get_by_test_id("tile-created").get_by_test_id("tile-link")).to_contain_text("3")
    page.get_by_label("Range").select_option(label="Last 30 days")
    expect(summary).to_contain_text("Last 30 days")
    expect(page).to_have_url(re.compile(r"range=30"))

    page.get_by_test_id("tile-created").get_by_test_id("tile-link").click()
    expect(page).to_have_title(re.compile("^Queue"))
    expect(page.get_by_test_id("queue-narrowed")).to_contain_text("Created from")
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(3)
    for ticket in numbers["spanish"]:
        expect(page.locator(f'[data-reference="{ticket.reference}"]')).to_be_visible()


def test_the_controls_work_from_the_keyboard_and_without_a_mouse(page, numbers):
    sign_in(page, "lead@example.com")
    page.get_by_label("Range").focus()
    page.keyboard.press("ArrowDown")  # Today -> …: a change submits the form through htmx
    expect(page).to_have_url(re.compile(r"range="))
    expect(page.get_by_label("Range")).to_be_focused()  # kept across the swap


def test_a_vendors_lead_sees_only_their_vendor(page, numbers, console_errors):
    sign_in(page, "northwind.lead@example.com")
    expect(page).to_have_title(re.compile("^Dashboard"))
    table = page.get_by_test_id("queue-table")
    expect(table).to_contain_text("Payments")
    expect(table).not_to_contain_text("Trust & Safety")
    expect(table).not_to_contain_text("MENA")
    body = page.get_by_test_id("analytics-body")
    expect(body).not_to_contain_text("Atlas")
    expect(page.get_by_test_id("vendor-table")).to_have_count(0)
    expect(page.get_by_test_id("vendors-link")).to_have_count(0)
    expect(page.locator("#a-slice optgroup[label=Vendor]")).to_have_count(0)
    response = page.goto("/analytics/vendors/")
    assert response is not None and response.status == 404
    console_errors.clear()  # the 404 is logged by the browser as an error


def test_the_arabic_dashboard_reads_right_to_left_with_its_tables(page, numbers):
    sign_in(page, "lead@example.com")
    page.get_by_label("Language").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    canvas = page.locator('canvas[data-chart="volume"]')
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=volume]'))"
    )
    options = page.evaluate(
        """() => {
          const chart = Chart.getChart(document.querySelector('canvas[data-chart=volume]'));
          return {reverse: chart.options.scales.x.reverse, y: chart.options.scales.y.position,
                  legend: chart.options.plugins.legend.rtl};
        }"""
    )
    assert options == {"reverse": True, "y": "right", "legend": True}
    for key in ("volume", "first_reply", "sla"):
        details = page.get_by_test_id(f"chart-table-{key}")
        details.locator("summary").click()
        table = page.get_by_test_id(f"chart-{key}-table")
        expect(table).to_be_visible()
        expect(table.locator("caption")).not_to_be_empty()
        expect(table.locator("th[scope=col]").first).to_be_visible()
    # The table's first column (the period) sits on the right, as Arabic reads.
    table = page.get_by_test_id("chart-volume-table")
    first = table.locator("th[scope=col]").first.bounding_box()
    last = table.locator("th[scope=col]").last.bounding_box()
    assert first["x"] > last["x"]
