"""Incidents: tickets linked, updates on the timeline, one update to every requester."""

import pytest

from escalations import services
from escalations.models import Incident, IncidentUpdate, Severity
from tests.tickets import factories as tf
from tickets.models import Event, Message, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(desk):
    lead = desk["people"]["inhouse_lead"]
    queue = desk["queues"]["inhouse"]
    tickets = [tf.ticket(queue, subject="App down", language=lang) for lang in ("en", "es", "fr")]
    made = services.incident_open(actor=lead, title="Login outage", severity=Severity.SEV2)
    return {**desk, "lead": lead, "tickets": tickets, "incident": made}


def test_an_incident_collects_tickets_and_each_ticket_says_so(incident):
    lead, made, tickets = incident["lead"], incident["incident"], incident["tickets"]
    assert services.incident_add_tickets(actor=lead, incident=made, tickets=tickets) == 3
    assert services.incident_add_tickets(actor=lead, incident=made, tickets=tickets[:1]) == 0
    assert made.tickets.count() == 3
    assert Event.objects.filter(kind="incident_linked").count() == 3


def test_one_update_reaches_every_linked_requester_in_their_language(incident):
    lead, made, tickets = incident["lead"], incident["incident"], incident["tickets"]
    services.incident_add_tickets(actor=lead, incident=made, tickets=tickets)
    macro_en = tf.macro(name="Outage fixed", language="en", body="Fixed, {requester_name}.")
    tf.macro(name="Outage fixed", language="es", body="Arreglado, {requester_name}.")
    update = services.incident_post_update(
        actor=lead, incident=made, body="We fixed the login outage.", status="resolved",
        notify_requesters=True, macro=macro_en,
    )  # fmt: skip
    assert update.sent_to == 3
    replies = {m.ticket.language: m.body for m in Message.objects.filter(
        ticket__in=tickets, author_type="agent").select_related("ticket")}  # fmt: skip
    assert replies["es"].startswith("Arreglado") and replies["en"].startswith("Fixed")
    assert replies["fr"].startswith("Fixed")  # no French variant: the chosen macro
    mails = Notification.objects.filter(kind="requester_reply", ticket__in=tickets)
    assert sorted(m.recipient for m in mails) == sorted(t.requester.email for t in tickets)
    made.refresh_from_db()
    assert made.status == Incident.Status.RESOLVED and made.resolved_at is not None


def test_an_internal_update_sends_nothing(incident):
    lead, made = incident["lead"], incident["incident"]
    services.incident_add_tickets(actor=lead, incident=made, tickets=incident["tickets"])
    services.incident_post_update(actor=lead, incident=made, body="Still looking.")
    assert IncidentUpdate.objects.filter(incident=made).count() == 2  # opened + this
    assert not Notification.objects.filter(kind="requester_reply").exists()


def test_agents_cannot_run_incidents(desk):
    with pytest.raises(services.EscalationError):
        services.incident_open(actor=desk["people"]["inhouse_agent"], title="x", severity=3)


def test_the_tracker_link_must_be_a_web_address(incident):
    with pytest.raises(services.EscalationError):
        services.incident_set_tracker(actor=incident["lead"], incident=incident["incident"],
                                      key="BUG-1", url="javascript:alert(1)")  # fmt: skip
    done = services.incident_set_tracker(
        actor=incident["lead"],
        incident=incident["incident"],
        key="BUG-1",
        url="https://bugs.example.com/BUG-1",
    )
    assert done.tracker_key == "BUG-1"
