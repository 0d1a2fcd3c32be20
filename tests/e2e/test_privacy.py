"""Privacy in the browser: a data-subject export built by a real worker and downloaded as
a ZIP, an erasure that waits under a legal hold and runs once it is released, and a lead
redacting a card number from a message."""

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import AXE, BLOCKING, RUN_AXE
from tests.e2e.test_exports import demo, worker  # noqa: F401 (fixtures)
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Queue, Requester, Ticket

CARD = "4111 1111 1111 1111"


def _accessible(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(AXE.read_text())
    assert page.evaluate(RUN_AXE, list(BLOCKING)) == []


@pytest.fixture
def person(demo):  # noqa: F811
    queue = Queue.objects.get(name="General Support")
    requester = tf.requester(email="dora.vance@example.org", name="Dora Vance")
    tickets = [tf.ticket(queue, subject=f"Question {n}", requester_=requester,
                         body=f"Hello, Dora here ({n}).") for n in range(2)]  # fmt: skip
    return {"requester": requester, "tickets": tickets, "queue": queue}


def _find(page, query: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/privacy/")
    page.get_by_label("Email, external user id or ticket reference").fill(query)
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("found").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Requester's data")).to_be_visible()


def test_an_admin_exports_a_requesters_data_as_a_zip(page, person, worker):  # noqa: F811
    sign_in(page, "admin@example.com")
    _find(page, "DORA.VANCE@example.org")
    _accessible(page)
    page.get_by_role("button", name="Export their data").click()
    expect(page.get_by_role("heading", name="My exports")).to_be_visible()
    row = page.get_by_test_id("export-row").first
    expect(row).to_have_attribute("data-state", "done", timeout=60_000)
    with page.expect_download() as download:
        row.get_by_test_id("export-download").click()
    assert download.value.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert sorted(archive.namelist()) == sorted(
        ["subject.json", *(f"tickets/{t.reference}.json" for t in person["tickets"])])  # fmt: skip
    assert (
        "Dora here (0)" in archive.read(f"tickets/{person['tickets'][0].reference}.json").decode()
    )


def test_an_erasure_waits_under_a_hold_and_runs_once_it_is_released(page, person):
    ticket = person["tickets"][0]
    sign_in(page, "admin@example.com")
    page.goto("/privacy/holds/")
    form = page.get_by_test_id("hold-form")
    form.get_by_label("Hold").select_option("ticket")
    form.get_by_label("Which").fill(ticket.reference)
    form.get_by_label("Case number").fill("LIT-2026-7")
    form.get_by_label("Reason").fill("Pending lawsuit")
    form.get_by_label("Review date").fill("2099-01-31")
    form.get_by_role("button", name="Place the hold").click()
    expect(page.get_by_test_id("active-holds")).to_contain_text("LIT-2026-7")
    _accessible(page)

    _find(page, ticket.reference)
    expect(page.get_by_test_id("held")).to_contain_text("legal hold")
    page.get_by_label("Anonymise: keep the tickets for metrics, remove the person").check()
    page.get_by_label("Case number").fill("DSR-55")
    page.get_by_role("button", name="Ask for erasure").click()
    expect(page.get_by_test_id("erasure-state")).to_have_text("Waiting for its date")
    _accessible(page)
    page.get_by_role("button", name="Run it now").click()
    expect(page.get_by_test_id("erasure-state")).to_have_text("Pending hold")
    expect(page.get_by_test_id("held")).to_contain_text("LIT-2026-7")
    assert Requester.objects.get(pk=person["requester"].pk).email == "dora.vance@example.org"
    erasure_url = page.url

    page.goto("/privacy/holds/")
    page.get_by_role("button", name=re.compile("Release LIT-2026-7")).click()
    expect(page.get_by_test_id("released-holds")).to_contain_text("LIT-2026-7")
    page.goto(erasure_url)
    page.get_by_role("button", name="Run it now").click()
    expect(page.get_by_test_id("erasure-state")).to_have_text("Done")
    expect(page.get_by_test_id("erasure-counts")).to_contain_text("tickets")
    requester = Requester.objects.get(pk=person["requester"].pk)
    assert (requester.email, requester.name) == ("", "")
    assert Ticket.objects.get(pk=ticket.pk).subject == "[erased]"


def test_a_lead_redacts_a_card_number_a_requester_pasted(page, person):
    ticket = person["tickets"][1]
    services.ticket_requester_reply(ticket=ticket, body=f"My card is {CARD}, please refund.")
    sign_in(page, "lead@example.com")
    page.goto(f"/tickets/{ticket.reference}/")
    page.get_by_test_id("privacy-panel").get_by_role("link", name="Redact…").click()
    _accessible(page)
    message = page.get_by_test_id("redact-message").filter(has_text=CARD)
    message.get_by_label(f"Card number: {CARD}").check()
    message.get_by_label("Why").fill("Card number pasted by the requester")
    message.get_by_role("button", name="Redact").click()
    expect(page.get_by_text("The text is redacted.")).to_be_visible()
    expect(
        page.get_by_test_id("redact-body").filter(has_text="My card is [redacted]")
    ).to_be_visible()
    page.goto(f"/tickets/{ticket.reference}/")
    expect(page.get_by_text("My card is [redacted], please refund.")).to_be_visible()
    assert CARD not in page.content()
