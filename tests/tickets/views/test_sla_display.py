"""How SLA targets show: the queue's badge and the ticket page's panel."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def queue(desk):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue])
    return queue


def queue_html(client, user) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(reverse("tickets:queue") + "?view=all").content.decode()


def test_queue_badges_by_risk(desk, client, queue):
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        tf.ticket(queue, subject="Fresh one")
    with time_machine.travel(T0 + timedelta(minutes=50), tick=False):
        html = queue_html(client, agent)
        assert "text-bg-warning" in html and "10m left" in html  # past the 75% warning
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        assert "text-bg-success" in queue_html(client, agent)
    with time_machine.travel(T0 + timedelta(minutes=70), tick=False):
        html = queue_html(client, agent)
        assert "text-bg-danger" in html and "10m overdue" in html


def test_a_paused_ticket_shows_paused(desk, client, queue):
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
        services.ticket_change_status(actor=None, ticket=ticket, status=Status.PENDING)
        assert "Paused" in queue_html(client, desk["people"]["inhouse_agent"])


def test_the_ticket_page_lists_each_target(desk, client, queue):
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
        client.force_login(agent)
        html = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'data-testid="sla-panel"' in html
    assert "Resolution" in html and "7h 30m left" in html
    assert "First reply" in html and "Met" in html
