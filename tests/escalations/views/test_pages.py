"""Escalation and incident pages through the test client."""

import pytest

from escalations import services
from escalations.models import Escalation, Incident
from tests.escalations import factories as ef
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def raised(desk):
    reason = ef.reason(desk["teams"]["inhouse"], name="Legal")
    ef.works_queues(desk["teams"]["inhouse"], desk["queues"]["north"])
    ticket = tf.ticket(desk["queues"]["north"], subject="Lawyer letter")
    escalation = services.escalation_raise(actor=desk["people"]["north_agent"], ticket=ticket,
                                           reason=reason, severity=3, summary="Lawyer")  # fmt: skip
    return {**desk, "reason": reason, "ticket": ticket, "escalation": escalation}


def test_escalating_from_the_ticket_page(desk, client):
    reason = ef.reason(desk["teams"]["inhouse"], name="Legal")
    ticket = tf.ticket(desk["queues"]["north"])
    client.force_login(desk["people"]["north_agent"])
    response = client.post(
        f"/escalations/ticket/{ticket.reference}/raise/",
        {"reason": reason.pk, "severity": 2, "summary": "Help"},
        follow=True,
    )
    assert "Escalated to Trust &amp; Safety." in response.content.decode()
    assert Escalation.objects.get(ticket=ticket).severity == 2
    # Again: refused with the reason, nothing new.
    response = client.post(
        f"/escalations/ticket/{ticket.reference}/raise/",
        {"reason": reason.pk, "severity": 2, "summary": "Again"},
        follow=True,
    )
    assert "already escalated to Trust &amp; Safety" in response.content.decode()
    assert Escalation.objects.filter(ticket=ticket).count() == 1


def test_a_missing_summary_is_named(desk, client):
    reason = ef.reason(desk["teams"]["inhouse"], name="Legal")
    ticket = tf.ticket(desk["queues"]["north"])
    client.force_login(desk["people"]["north_agent"])
    response = client.post(
        f"/escalations/ticket/{ticket.reference}/raise/",
        {"reason": reason.pk, "severity": 2, "summary": ""},
        follow=True,
    )
    assert "Summary for the team" in response.content.decode()
    assert not Escalation.objects.exists()


def test_the_board_accepts_in_place_and_shows_errors_in_place(raised, client):
    client.force_login(raised["people"]["inhouse_lead"])
    escalation = raised["escalation"]
    response = client.post(f"/escalations/{escalation.pk}/accept/", {"filters": "severity=3"},
                           **HTMX)  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and 'id="board"' in body and "<html" not in body
    escalation.refresh_from_db()
    assert escalation.status == "accepted"
    response = client.post(f"/escalations/{escalation.pk}/accept/", {"filters": ""}, **HTMX)
    assert response.status_code == 409 and 'data-testid="board-error"' in response.content.decode()


def test_the_board_page_makes_a_fixed_number_of_queries(
    raised, client, django_assert_max_num_queries
):
    for n in range(30):
        ticket = tf.ticket(raised["queues"]["inhouse"])
        services.escalation_raise(
            actor=raised["people"]["inhouse_agent"],
            ticket=ticket,
            reason=raised["reason"],
            severity=1 + n % 4,
            summary="x",
        )
    client.force_login(raised["people"]["inhouse_lead"])
    client.get("/escalations/")
    # Session, user, counts, cards (a query per column), assignable people, teams,
    # vendors, open pages; the SOP banner from the cache.
    with django_assert_max_num_queries(13):
        response = client.get("/escalations/")
    body = response.content.decode()
    assert body.count('data-testid="escalation-card"') == 25  # 31 requested, first 25 shown
    assert "Showing the first 25 of 31" in body


def test_linking_tickets_to_an_incident_from_the_queue(desk, client):
    lead = desk["people"]["inhouse_lead"]
    incident = services.incident_open(actor=lead, title="Outage", severity=3)
    tickets = [tf.ticket(desk["queues"]["inhouse"]) for _ in range(2)]
    client.force_login(lead)
    response = client.post("/tickets/bulk/", {"refs": [t.reference for t in tickets],
                                              "action": "incident", "value": str(incident.pk)},
                           follow=True)  # fmt: skip
    assert "2 ticket(s) linked" in response.content.decode()
    assert incident.tickets.count() == 2
    response = client.post("/tickets/bulk/", {"refs": [tickets[0].reference],
                                              "action": "incident", "value": "999999"},
                           follow=True)  # fmt: skip
    assert "No incident 999999 that you can see." in response.content.decode()


def test_an_open_incident_shows_a_banner_on_its_tickets(desk, client):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    services.incident_open(actor=desk["people"]["inhouse_lead"], title="Login outage",
                           severity=2, tickets=[ticket])  # fmt: skip
    client.force_login(desk["people"]["inhouse_agent"])
    body = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert 'data-testid="incident-banner"' in body and "Login outage" in body
    Incident.objects.update(status="resolved")
    body = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert 'data-testid="incident-banner"' not in body


def test_a_page_link_acknowledges(desk, client):
    rotation = ef.rotation(desk["teams"]["inhouse"], [desk["people"]["inhouse_agent"]],
                           shift_days=3650)  # fmt: skip
    incident = services.incident_open(actor=desk["people"]["admin"], title="Down", severity=1,
                                      team=desk["teams"]["inhouse"])  # fmt: skip
    page = incident.pages.get()
    assert page.rotation == rotation
    client.force_login(desk["people"]["inhouse_agent"])
    assert client.get(f"/escalations/pages/{page.token}/").status_code == 200
    client.post(f"/escalations/pages/{page.token}/")
    page.refresh_from_db()
    assert page.status == "acknowledged" and page.acknowledged_by == desk["people"]["inhouse_agent"]
    assert client.get("/escalations/pages/not-a-token/").status_code == 404


def test_the_agent_who_raised_it_sees_it_on_the_board_without_the_teams_buttons(raised, client):
    client.force_login(raised["people"]["north_agent"])
    body = client.get("/escalations/").content.decode()
    assert body.count('data-testid="escalation-card"') == 1
    assert ">Accept<" not in body
    detail = client.get(f"/escalations/{raised['escalation'].pk}/").content.decode()
    assert ">Accept<" not in detail and "Add note" in detail
