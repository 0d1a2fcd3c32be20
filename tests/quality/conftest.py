from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.tickets import factories as tf
from tickets import services

# A Monday, 09:00 UTC.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def at(delta: timedelta):  # type: ignore[no-untyped-def]
    return time_machine.travel(T0 + delta, tick=False)


def solved_ticket(queue, agent, *, delta=timedelta(), language="en", requester=None, **fields):  # type: ignore[no-untyped-def]
    """A ticket an agent answered and solved at T0 + delta (+ 10 and 20 minutes)."""
    with at(delta):
        ticket = tf.ticket(queue, language=language, requester_=requester, **fields)
    with at(delta + timedelta(minutes=10)):
        services.ticket_reply(actor=agent, ticket=ticket, body="Here is how.")
    with at(delta + timedelta(minutes=20)):
        services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
    return ticket


@pytest.fixture
def survey_sent(desk):
    """A Spanish ticket on the Northwind queue, solved by Northwind's agent, its survey sent."""
    from quality import services as quality

    agent = desk["people"]["north_agent"]
    ticket = solved_ticket(desk["queues"]["north"], agent, language="es")
    with at(DAY + HOUR):
        quality.surveys_send_due()
    survey = ticket.surveys.get()
    return {**desk, "ticket": ticket, "survey": survey, "agent": agent}
