from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quality import qa
from quality.scoring import Category
from tests import factories
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


CARD = [
    Category("greeting", "Greeting", weight=1, scale="pass_fail"),
    Category("accuracy", "Accuracy", weight=3, scale="five"),
    Category("tone", "Tone", weight=2, scale="three", allow_na=True),
    Category("privacy", "Privacy", weight=2, scale="pass_fail", critical=True),
]
GOOD = {"greeting": 1, "accuracy": 4, "tone": 2, "privacy": 1}  # 78.125 (hand-worked)
PERIOD = (T0 - DAY, T0 + 7 * DAY)


@pytest.fixture
def programme(desk):
    """A scorecard, an in-house reviewer (with a lead) and a Northwind reviewer."""
    people, teams = desk["people"], desk["teams"]
    admin = people["admin"]
    qa.scorecard_save(
        actor=admin,
        scorecard=None,
        name="Support",
        description="",
        queues=[],
        languages=[],
        vendors=[],
        pass_mark=80,
        categories=CARD,
    )
    inhouse = factories.user(team=teams["inhouse"], email="qa@example.com", full_name="Quinn QA")
    north = factories.user(team=teams["north"], email="qa.north@example.com", full_name="Nora QA")
    qa.reviewers_set(actor=admin, users=[inhouse, north])
    return {**desk, "reviewer": inhouse, "north_reviewer": north}


def _cycle(programme, quota=2, **kwargs):  # type: ignore[no-untyped-def]
    with at(7 * DAY + HOUR):
        return qa.cycle_start(
            actor=programme["people"]["admin"],
            name="Week 10",
            starts_at=PERIOD[0],
            ends_at=PERIOD[1],
            quota=quota,
            **kwargs,
        )
