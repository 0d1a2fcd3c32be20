import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from tests import factories
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Status, Ticket


@pytest.mark.django_db
def test_next_ticket_is_the_most_urgent_unassigned_one_in_my_queues_and_languages(desk):
    agent = desk["people"]["inhouse_agent"]  # speaks English only
    q = desk["queues"]["inhouse"]
    now = timezone.now()
    later = tf.ticket(q, language="en")
    Ticket.objects.filter(pk=later.pk).update(sla_due_at=now + timedelta(hours=5))
    urgent = tf.ticket(q, language="en")
    Ticket.objects.filter(pk=urgent.pk).update(sla_due_at=now + timedelta(minutes=5))
    spanish = tf.ticket(q, language="es")
    Ticket.objects.filter(pk=spanish.pk).update(sla_due_at=now)
    tf.ticket(desk["queues"]["atlas"], language="en")  # not a queue of theirs

    first = services.ticket_claim_next(agent=agent)
    second = services.ticket_claim_next(agent=agent)
    assert [first.pk, second.pk] == [urgent.pk, later.pk]
    assert services.ticket_claim_next(agent=agent) is None
    urgent.refresh_from_db()
    assert (urgent.assignee, urgent.status) == (agent, Status.OPEN)


@pytest.mark.django_db(transaction=True)
def test_fifty_agents_pressing_next_at_once_get_fifty_different_tickets(org):
    team = org["teams"]["inhouse"]
    q = tf.queue("Busy", teams=[team])
    for _ in range(60):
        tf.ticket(q)
    agents = [factories.user(team=team, role=Role.AGENT) for _ in range(50)]
    barrier = threading.Barrier(len(agents))
    claimed: dict[int, int | None] = {}
    errors: list[BaseException] = []

    def press_next(agent):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            ticket = services.ticket_claim_next(agent=agent)
            claimed[agent.pk] = ticket.pk if ticket else None
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press_next, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    got = [pk for pk in claimed.values() if pk is not None]
    assert len(got) == 50 and len(set(got)) == 50
    assert Ticket.objects.filter(assignee__isnull=False).count() == 50
