"""The SLA sweep on a real beat and worker: after beat was down, everything that fell
due meanwhile fires exactly once, and new breaches fire within a sweep interval."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import processes
from tests.tickets import factories as tf
from tickets.models import Event, SLAClock

ENV = {"SLA_SWEEP_SECONDS": "1", "TEST_EMAIL_FILE_PATH": ""}


@pytest.mark.django_db(transaction=True)
def test_beat_catches_up_after_an_outage_and_fires_each_once(desk, tmp_path):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue], warning_actions=["notify_assignee"],
                  breach_actions=["notify_lead", "escalate"])  # fmt: skip
    # Beat "was down" for ten hours: these tickets' clocks all warned and breached
    # meanwhile (first reply after 60 minutes, resolution after 8 hours).
    with time_machine.travel(timezone.now() - timedelta(hours=10), tick=False):
        overdue = [tf.ticket(queue) for _ in range(30)]
    # And one that falls due a few seconds from now.
    with time_machine.travel(timezone.now() - timedelta(minutes=60, seconds=-4), tick=False):
        soon = tf.ticket(queue)
    env = {**ENV, "TEST_EMAIL_FILE_PATH": str(tmp_path)}
    worker = processes.start_worker("sla", env=env)
    beat = processes.start_beat(tmp_path / "beat", env=env)
    try:
        assert processes.wait_for(
            lambda: SLAClock.objects.filter(ticket__in=overdue, breached_at__isnull=True)
            .count() == 0, timeout=60,
        )  # fmt: skip
        assert processes.wait_for(
            lambda: SLAClock.objects.filter(ticket=soon, metric="first_reply",
                                            breached_at__isnull=False).exists(), timeout=60,
        )  # fmt: skip
        # Several more sweeps run: none fires anything again.
        ticks = Event.objects.filter(kind="sla_breach").count()
        time.sleep(3)
        assert Event.objects.filter(kind="sla_breach").count() == ticks
    finally:
        processes.stop(beat)
        processes.stop(worker)
    for ticket in overdue:
        kinds = list(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert kinds.count("sla_warning") == 2 and kinds.count("sla_breach") == 2
        assert kinds.count("sla_escalation_requested") == 2
    clock = SLAClock.objects.get(ticket=soon, metric="first_reply")
    assert (clock.breached_at - clock.due_at).total_seconds() < 30
