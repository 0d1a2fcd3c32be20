from datetime import timedelta

import pytest
import time_machine

from analytics.fold import fold_all
from tests.analytics.conftest import T0
from tests.tickets import factories as tf
from tickets import services

DAY = timedelta(days=1)


def at(delta: timedelta):  # type: ignore[no-untyped-def]
    return time_machine.travel(T0 + delta, tick=False)


@pytest.fixture
def busy(floor):
    """Two days ago: three in-house tickets (two Spanish, one about billing and tagged
    refund, one answered and solved by the in-house agent), two Northwind tickets (one
    answered and solved by the Northwind agent), one Atlas ticket. Half an hour ago: an
    in-house and a Northwind ticket whose first reply falls due within the hour. Folded;
    the clock is stopped at T0 (a Monday, 09:00 UTC) for the tests."""
    queues, people = floor["queues"], floor["people"]
    inhouse_agent, north_agent = people["inhouse_agent"], people["north_agent"]
    with at(-2 * DAY):
        billing = tf.ticket(
            queues["inhouse"],
            subject="Refund please",
            language="es",
            category="billing",
            tags=["refund"],
        )
        spanish = tf.ticket(queues["inhouse"], subject="Hola", language="es")
        english = tf.ticket(queues["inhouse"], subject="Hello", language="en")
        north = tf.ticket(queues["north"], subject="Northwind order", language="es")
        north_fr = tf.ticket(queues["north"], subject="Northwind question", language="fr")
        atlas = tf.ticket(queues["atlas"], subject="Atlas secret", language="ar")
    with at(-2 * DAY + timedelta(minutes=30)):
        services.ticket_assign(actor=inhouse_agent, ticket=billing, assignee=inhouse_agent)
        services.ticket_reply(actor=inhouse_agent, ticket=billing, body="Hecho.")
        services.ticket_assign(actor=north_agent, ticket=north, assignee=north_agent)
        services.ticket_reply(actor=north_agent, ticket=north, body="Done.")
        services.ticket_reply(actor=people["atlas_agent"], ticket=atlas, body="On it.")
    with at(-2 * DAY + timedelta(hours=1)):
        services.ticket_change_status(actor=inhouse_agent, ticket=billing, status="solved")
        services.ticket_change_status(actor=north_agent, ticket=north, status="solved")
    with at(timedelta(minutes=-30)):
        due_soon = tf.ticket(queues["inhouse"], subject="Due soon", language="en")
        north_due = tf.ticket(queues["north"], subject="Northwind due soon", language="en")
    fold_all()
    tickets = {
        "billing": billing,
        "spanish": spanish,
        "english": english,
        "north": north,
        "north_fr": north_fr,
        "atlas": atlas,
        "due_soon": due_soon,
        "north_due": north_due,
    }
    with at(timedelta()):
        yield {**floor, "tickets": tickets}
