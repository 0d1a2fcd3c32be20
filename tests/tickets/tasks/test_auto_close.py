from datetime import timedelta

import pytest
from django.utils import timezone

from tests import processes
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Status, Ticket
from tickets.tasks import close_quiet_solved_tickets


def _solved(queue, hours_ago):  # type: ignore[no-untyped-def]
    ticket = tf.ticket(queue)
    services.ticket_change_status(actor=None, ticket=ticket, status=Status.SOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(
        solved_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return ticket


@pytest.mark.django_db
def test_quiet_solved_tickets_close_and_a_second_run_changes_nothing(desk, settings):
    settings.TICKET_AUTO_CLOSE_HOURS = 96
    old, recent = _solved(desk["queues"]["inhouse"], 100), _solved(desk["queues"]["inhouse"], 10)
    assert services.tickets_close_quiet_solved(quiet_for=timedelta(hours=96)) == 1
    assert services.tickets_close_quiet_solved(quiet_for=timedelta(hours=96)) == 0
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == (Status.CLOSED, Status.SOLVED)
    assert Event.objects.filter(ticket=old, kind="status_changed", actor=None).exists()


@pytest.mark.django_db(transaction=True)
def test_the_auto_close_task_runs_on_a_real_worker(desk):
    ticket = _solved(desk["queues"]["inhouse"], 200)
    worker = processes.start_worker("autoclose")
    try:
        close_quiet_solved_tickets.delay()
        assert processes.wait_for(
            lambda: Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED, timeout=60
        )
    finally:
        processes.stop(worker)
