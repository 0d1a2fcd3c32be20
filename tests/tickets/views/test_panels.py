"""A panel another app registers (tickets.panels) shows on the ticket page in its slot,
its existence flag is answered by the page's own ticket query, and a ticket it has
nothing for costs it no query."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.tickets import factories as tf
from tickets import panels, selectors, services

pytestmark = pytest.mark.django_db
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "support" / "templates"
seen: list[bool] = []


def vip_context(page: panels.PanelPage) -> dict:
    empty = page.known_empty("has_vip_tag")
    seen.append(empty)
    return {"vip_note": "" if empty else "VIP customer: answer within the hour."}


@pytest.fixture
def vip_panel(settings):  # type: ignore[no-untyped-def]
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = templates
    panel = panels.register(panels.TicketPanel(
        name="test-vip", template="test_panels/vip.html", context=vip_context,
        slot="banner", order=50,
        flag=("has_vip_tag", "SELECT 1 WHERE %s = ANY(tickets_ticket.tags)", ["vip"]),
    ))  # fmt: skip
    seen.clear()
    yield panel
    panels.unregister("test-vip")


def test_a_registered_panel_shows_only_where_its_flag_finds_something(
    desk, client, vip_panel, django_assert_max_num_queries
):
    agent = desk["people"]["north_agent"]
    client.force_login(agent)
    plain = tf.ticket(desk["queues"]["north"], subject="Plain")
    vip = tf.ticket(desk["queues"]["north"], subject="Important", tags=["vip"])
    client.get(f"/tickets/{plain.reference}/")
    with django_assert_max_num_queries(8):  # the plain ticket's budget, panel included
        body = client.get(f"/tickets/{plain.reference}/").content.decode()
    assert 'data-testid="vip-note"' not in body
    body = client.get(f"/tickets/{vip.reference}/").content.decode()
    assert "VIP customer: answer within the hour." in body
    # The banner slot comes before the conversation.
    assert body.index('data-testid="vip-note"') < body.index('data-testid="conversation"')
    assert seen == [True, True, False]


def test_the_flag_is_read_by_the_pages_ticket_query(desk, vip_panel):
    agent = desk["people"]["north_agent"]
    ticket = tf.ticket(desk["queues"]["north"], tags=["vip"])
    fetched = selectors.get_ticket_for_page(agent, ticket.reference)
    assert fetched.has_vip_tag is True  # type: ignore[attr-defined]
    services.ticket_set_tags(actor=agent, ticket=ticket, tags=[])
    fetched = selectors.get_ticket_for_page(agent, ticket.reference)
    assert fetched.has_vip_tag is False  # type: ignore[attr-defined]


def test_registration_refuses_an_unknown_slot_and_a_second_panel_of_the_same_name(vip_panel):
    with pytest.raises(ValueError, match="slot"):
        panels.register(panels.TicketPanel(name="x", template="x.html",
                                           context=vip_context, slot="footer"))  # fmt: skip
    with pytest.raises(ValueError, match="already registered"):
        panels.register(panels.TicketPanel(name="test-vip", template="other.html",
                                           context=vip_context))  # fmt: skip
