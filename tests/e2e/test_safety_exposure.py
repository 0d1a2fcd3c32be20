"""Exposure limits in the browser: a break past the soft cap (and "Next ticket" handing out
other work), the hard cap that needs a lead's override, and a child-safety ticket that does
not exist for an uncleared agent.

The agent reveals a graphic report's masked words by pressing "Reveal text" on its page;
what the server answers (a break prompt, the hard cap's refusal) is read out beside the
button."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from safety.models import Exposure, HarmCategory, MaskWord
from safety.taxonomy import ensure_defaults
from tests.e2e.conftest import sign_in
from tests.e2e.test_exports import demo  # noqa: F401 (a fixture)
from tests.tickets import factories as tf
from tickets.models import Queue, Ticket


@pytest.fixture
def graphic(demo):  # noqa: F811
    """Ana's team works the safety reports queue; graphic violence has tiny caps; an urgent
    graphic report and a low-priority ordinary ticket wait."""
    ensure_defaults()
    agent = User.objects.get(email="agent@example.com")
    reports = Queue.objects.get(slug="safety-reports")
    reports.teams.add(agent.team)
    Ticket.objects.filter(assignee__isnull=True).exclude(queue=reports).update(status="closed")
    HarmCategory.objects.filter(key="graphic-violence").update(
        soft_cap_items=1, soft_cap_minutes=None, hard_cap_items=2, hard_cap_minutes=None,
        cooldown_minutes=30)  # fmt: skip
    MaskWord.objects.get_or_create(language="en", word="kill")
    first = tf.ticket(reports, subject="Graphic report one", body="He said he would kill them",
                      category="graphic-violence", priority=1)  # fmt: skip
    second = tf.ticket(reports, subject="Graphic report two", body="More gore",
                       category="graphic-violence", priority=1)  # fmt: skip
    general = Queue.objects.get(name="General Support")
    plain = tf.ticket(general, subject="Cannot change my avatar", body="Hi", priority=4)
    return {"agent": agent, "first": first, "second": second, "plain": plain}


def _reveal(page, ticket):  # type: ignore[no-untyped-def]
    """Press "Reveal text" on the ticket's page; the status line beside it."""
    page.goto(f"/tickets/{ticket.reference}/")
    expect(page.get_by_text("He said he would ▇▇▇▇ them")).to_be_visible()
    page.get_by_role("button", name="Reveal text").click()
    return page.locator("[data-safety-text-status]")


def test_passing_the_soft_cap_prompts_a_break_and_next_ticket_gives_other_work(page, graphic):
    sign_in(page, "agent@example.com")
    status = _reveal(page, graphic["first"])
    expect(page.get_by_text("He said he would kill them")).to_be_visible()
    expect(status).to_contain_text("Take a break")
    page.goto("/safety/wellbeing/")
    expect(page.get_by_test_id("cooldown")).to_be_visible()
    expect(page.get_by_role("heading", name="My wellbeing")).to_be_visible()
    page.goto("/tickets/")
    page.get_by_role("button", name="Next ticket").click()
    expect(page.get_by_text("Cannot change my avatar").first).to_be_visible()
    assert Ticket.objects.get(pk=graphic["plain"].pk).assignee == graphic["agent"]
    assert (
        Ticket.objects.filter(assignee=graphic["agent"], queue__slug="safety-reports").count() == 0
    )


def test_the_hard_cap_needs_a_leads_override(page, graphic, browser, live_server, console_errors):
    category = HarmCategory.objects.get(key="graphic-violence")
    for n in range(2):
        Exposure.objects.create(agent=graphic["agent"], category=category, kind="text",
                                ticket=graphic["first"], token=f"e2e-{n}")  # fmt: skip
    sign_in(page, "agent@example.com")
    refused = _reveal(page, graphic["first"])
    expect(refused).to_contain_text("lead")
    expect(page.get_by_text("He said he would ▇▇▇▇ them")).to_be_visible()
    # The refusal is a 403, which the browser logs as a failed load: expected here.
    assert [e for e in console_errors if "403" not in e] == []
    console_errors.clear()

    lead_context = browser.new_context(base_url=live_server.url, locale="en-US")
    lead = lead_context.new_page()
    sign_in(lead, "lead@example.com")
    lead.goto("/safety/wellbeing/people/")
    form = lead.get_by_test_id("override-form")
    form.get_by_label("Person").select_option(label=str(graphic["agent"]))
    form.get_by_label("Category").select_option(label="Graphic violence")
    form.get_by_label("Reason").fill("Urgent backlog, agreed with Ana")
    form.get_by_role("button", name="Grant the override").click()
    expect(lead.get_by_test_id("overrides")).to_contain_text("Graphic violence")
    lead_context.close()

    _reveal(page, graphic["first"])
    expect(page.get_by_text("He said he would kill them")).to_be_visible()
    assert Exposure.objects.filter(agent=graphic["agent"], override__isnull=False).count() == 1


def test_an_uncleared_agent_gets_404_on_a_child_safety_ticket(page, graphic, console_errors):
    children = Queue.objects.get(slug="child-safety")
    children.teams.add(graphic["agent"].team)
    ticket = tf.ticket(children, subject="Child safety report", body="x",
                       category="child-safety")  # fmt: skip
    sign_in(page, "agent@example.com")
    page.goto("/tickets/")
    response = page.goto(f"/tickets/{ticket.reference}/")
    assert response is not None and response.status == 404
    console_errors.clear()  # the browser logs the 404 it was meant to get
    page.goto("/tickets/search/?q=Child+safety+report")
    expect(page.get_by_text(ticket.reference)).to_have_count(0)
