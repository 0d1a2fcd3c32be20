"""The at-risk list: active tickets whose next SLA target falls due within the hour,
soonest first, from a range of the urgency index, whatever the backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from analytics import selectors
from analytics.selectors import Slice
from tests.analytics.conftest import T0
from tests.tickets import factories as tf
from tickets import services

pytestmark = pytest.mark.django_db


def at(delta: timedelta):  # type: ignore[no-untyped-def]
    return time_machine.travel(T0 + delta, tick=False)


def test_only_targets_falling_due_within_the_hour_soonest_first(floor):
    queue, admin = floor["queues"]["inhouse"], floor["people"]["admin"]
    with at(timedelta(minutes=-90)):
        overdue = tf.ticket(queue, subject="Already late")  # due 30 min ago
    with at(timedelta(minutes=-50)):
        soonest = tf.ticket(queue, subject="Due in ten minutes")
    with at(timedelta(minutes=-20)):
        later = tf.ticket(queue, subject="Due in forty minutes", language="es")
        paused = tf.ticket(queue, subject="Waiting on them")
    with at(timedelta(minutes=-10)):
        services.ticket_reply(actor=admin, ticket=paused, body="Which order?", status="pending")
    with at(timedelta()):
        tf.ticket(queue, subject="Due in an hour")  # exactly an hour away: not within
        rows, more = selectors.at_risk(admin, now=T0)
        assert [row.reference for row in rows] == [soonest.reference, later.reference]
        assert not more
        assert rows[0].due == T0 + timedelta(minutes=10)
        spanish, _more = selectors.at_risk(admin, now=T0, slice_=Slice(dim="language", value="es"))
        assert [row.reference for row in spanish] == [later.reference]
        first, more = selectors.at_risk(admin, now=T0, limit=1)
        assert len(first) == 1 and more
    assert overdue


def test_a_vendors_lead_sees_only_their_tickets_at_risk(floor):
    with at(timedelta(minutes=-30)):
        tf.ticket(floor["queues"]["inhouse"])
        north = tf.ticket(floor["queues"]["north"])
    with at(timedelta()):
        rows, _more = selectors.at_risk(floor["people"]["north_lead"], now=T0)
        assert [row.reference for row in rows] == [north.reference]
        # Atlas's lead has nothing at risk: no ticket of theirs falls due.
        assert selectors.at_risk(floor["people"]["atlas_lead"], now=T0) == ([], False)


def test_the_list_reads_a_range_of_the_urgency_index(floor):
    """The predicate is on the indexed expression (COALESCE(sla_due_at, 'infinity')), so
    the active tickets' urgency index answers it without reading the backlog."""
    admin = floor["people"]["admin"]
    qs = (
        selectors.visible_tickets(admin)
        .filter(status__in=("new", "open", "pending", "on_hold"), sla_paused=False)
        .alias(due=selectors.urgency())
        .filter(due__gte=T0, due__lt=T0 + timedelta(hours=1))
        .order_by(selectors.urgency(), "priority", "created_at", "id")
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = qs[:11].explain()
    assert "ticket_active_urgency_idx" in plan or "ticket_queue_urgency_idx" in plan, plan
    assert "Index Cond: ((COALESCE(sla_due_at, 'infinity'" in plan, plan
