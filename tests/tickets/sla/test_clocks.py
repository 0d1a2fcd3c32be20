"""SLA clocks as tickets move: start, fulfil, pause and resume, reopen, retarget."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Priority, SLAClock, SLAMetric, SLAPolicy, Status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
State = SLAClock.State


def clocks(ticket) -> dict[str, SLAClock]:
    return {c.metric: c for c in SLAClock.objects.filter(ticket=ticket, state__in=["running",
                                                          "paused"])}  # fmt: skip


def refreshed(ticket):
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def queue_247(desk):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(name="Standard", queues=[queue])
    return queue


def test_a_new_ticket_starts_first_reply_and_resolution(queue_247):
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
    live = clocks(ticket)
    assert set(live) == {SLAMetric.FIRST_REPLY, SLAMetric.RESOLUTION}
    assert live["first_reply"].due_at == T0 + timedelta(minutes=60)
    assert live["first_reply"].warn_at == T0 + timedelta(minutes=45)
    assert live["resolution"].due_at == T0 + timedelta(minutes=480)
    assert refreshed(ticket).sla_due_at == T0 + timedelta(minutes=60)
    assert ticket.sla_warn_at == T0 + timedelta(minutes=45)
    started = Event.objects.get(ticket=ticket, kind="sla_started")
    assert started.after["policy"] == "Standard"


def test_an_agent_reply_meets_first_reply(desk, queue_247):
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        services.ticket_reply(actor=agent, ticket=ticket, body="On it.")
    first = SLAClock.objects.get(ticket=ticket, metric="first_reply")
    assert first.state == State.MET
    assert first.next_check_at is None
    assert refreshed(ticket).sla_due_at == T0 + timedelta(minutes=480)
    # An internal note fulfils nothing.
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        services.ticket_reply(actor=agent, ticket=ticket, body="note", internal=True)
    assert clocks(ticket)["resolution"].state == State.RUNNING


def test_a_late_reply_is_missed(desk, queue_247):
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        services.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket, body="Sorry")
    assert SLAClock.objects.get(ticket=ticket, metric="first_reply").state == State.MISSED


def test_pending_pauses_and_open_resumes_with_the_time_left(desk, queue_247):
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        services.ticket_reply(actor=agent, ticket=ticket, body="Which phone?", status="pending")
    ticket = refreshed(ticket)
    assert ticket.sla_paused and ticket.sla_due_at is None
    resolution = clocks(ticket)["resolution"]
    assert resolution.state == State.PAUSED
    assert resolution.used_seconds == 20 * 60
    assert resolution.next_check_at is None
    # Three hours later the requester answers: the ticket reopens, resolution resumes with
    # 460 minutes left, and a next-reply clock starts.
    with time_machine.travel(T0 + timedelta(hours=3, minutes=20), tick=False):
        services.ticket_requester_reply(ticket=ticket, body="An iPhone 15")
    live = clocks(ticket)
    back = T0 + timedelta(hours=3, minutes=20)
    assert live["resolution"].due_at == back + timedelta(minutes=460)
    assert live["next_reply"].due_at == back + timedelta(minutes=120)
    ticket = refreshed(ticket)
    assert ticket.status == Status.OPEN
    assert not ticket.sla_paused and ticket.sla_due_at == back + timedelta(minutes=120)
    kinds = list(Event.objects.filter(ticket=ticket, kind__startswith="sla_")
                 .order_by("id").values_list("kind", flat=True))  # fmt: skip
    assert kinds == ["sla_started", "sla_fulfilled", "sla_paused", "sla_resumed", "sla_started"]


def test_on_hold_pauses_too(desk, queue_247):
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
        services.ticket_change_status(actor=None, ticket=ticket, status=Status.ON_HOLD)
    assert {c.state for c in clocks(ticket).values()} == {State.PAUSED}


def test_solving_meets_resolution_and_reopening_starts_a_new_one(desk, queue_247):
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    states = dict(SLAClock.objects.filter(ticket=ticket).values_list("metric", "state"))
    assert states == {"first_reply": State.CANCELLED, "resolution": State.MET}
    assert refreshed(ticket).sla_due_at is None
    reopened = T0 + timedelta(hours=5)
    with time_machine.travel(reopened, tick=False):
        services.ticket_requester_reply(ticket=ticket, body="Still broken")
    live = clocks(ticket)
    assert live["resolution"].due_at == reopened + timedelta(minutes=480)
    assert live["next_reply"].due_at == reopened + timedelta(minutes=120)
    assert SLAClock.objects.filter(ticket=ticket, metric="resolution").count() == 2


def test_a_priority_change_retargets_keeping_time_used(desk, queue_247):
    policy = SLAPolicy.objects.get(name="Standard")
    policy.targets.filter(priority=Priority.URGENT).update(first_reply_minutes=15,
                                                           resolution_minutes=120)  # fmt: skip
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        services.ticket_set_priority(actor=None, ticket=ticket, priority=Priority.URGENT)
    live = clocks(ticket)
    assert live["first_reply"].due_at == T0 + timedelta(minutes=15)
    assert live["resolution"].due_at == T0 + timedelta(minutes=120)
    event = Event.objects.get(ticket=ticket, kind="sla_retargeted")
    assert event.after["reason"] == "priority changed"


def test_moving_to_a_queue_without_policy_cancels_the_clocks(desk, queue_247):
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue_247)
        services.ticket_move_queue(actor=None, ticket=ticket, queue=desk["queues"]["north"])
    assert clocks(ticket) == {}
    assert refreshed(ticket).sla_due_at is None


def test_first_matching_policy_wins_then_the_queue_default(desk):
    queue = desk["queues"]["north"]
    vip = tf.sla_policy(name="VIP", position=1, high_profile=SLAPolicy.HighProfile.YES,
                        targets={p: (5, 10, 60) for p in Priority.values})  # fmt: skip
    email_only = tf.sla_policy(name="Email", position=2, channels=["email"], queues=[queue])
    fallback = tf.sla_policy(name="Fallback", position=3, queues=[desk["queues"]["atlas"]])
    queue.default_sla_policy = fallback
    queue.save()
    vip_requester = tf.requester()
    vip_requester.is_high_profile = True
    vip_requester.save()
    assert services.sla_policy_for(tf.ticket(queue, requester_=vip_requester)) == vip
    assert services.sla_policy_for(tf.ticket(queue, channel="email")) == email_only
    assert services.sla_policy_for(tf.ticket(queue, channel="web")) == fallback
    vip.is_active = False
    vip.save()
    assert services.sla_policy_for(tf.ticket(queue, requester_=vip_requester)) == fallback


def test_a_ticket_without_policy_has_no_clocks(desk):
    ticket = tf.ticket(desk["queues"]["atlas"])
    assert not SLAClock.objects.filter(ticket=ticket).exists()
    assert refreshed(ticket).sla_due_at is None


def test_office_hours_policy_due_times(desk):
    ny = ZoneInfo("America/New_York")
    queue = desk["queues"]["inhouse"]
    office = tf.calendar("NY office", time_zone="America/New_York", office_hours=True,
                         holiday_country="US")  # fmt: skip
    tf.sla_policy(calendar_=office, queues=[queue],
                  targets={p: (240, 240, 720) for p in Priority.values})  # fmt: skip
    # Friday 17:00: first reply (4 business hours) is due Monday 12:00; resolution
    # (12 hours: Friday 1, Monday 9, Tuesday 2) Tuesday 11:00.
    with time_machine.travel(datetime(2026, 11, 20, 17, 0, tzinfo=ny), tick=False):
        ticket = tf.ticket(queue)
    live = clocks(ticket)
    assert live["first_reply"].due_at == datetime(2026, 11, 23, 12, 0, tzinfo=ny)
    assert live["resolution"].due_at == datetime(2026, 11, 24, 11, 0, tzinfo=ny)
    # Pending from Monday 10:00 (2 hours used, 10 left) to Wednesday 10:00. Then
    # Wednesday gives 8 hours, Thanksgiving (Thursday) none, Friday the last 2: 11:00.
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=ny), tick=False):
        services.ticket_change_status(actor=None, ticket=ticket, status=Status.PENDING)
    assert clocks(ticket)["resolution"].used_seconds == 2 * 3600
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=ny), tick=False):
        services.ticket_change_status(actor=None, ticket=ticket, status=Status.OPEN)
    assert clocks(ticket)["resolution"].due_at == datetime(2026, 11, 27, 11, 0, tzinfo=ny)
