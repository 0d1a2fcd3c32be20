"""The SLA sweep: warnings and breaches fire once each, with their actions, and only what
is due is read."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import time_machine
from django.db import connection

from accounts.models import Role
from tests import factories
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Notification, Priority, SLAClock, Status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def policy(desk):
    return tf.sla_policy(
        name="Standard", queues=[desk["queues"]["north"], desk["queues"]["inhouse"]],
        warning_actions=["notify_assignee"],
        breach_actions=["notify_assignee", "notify_lead", "notify_vendor", "raise_priority",
                        "escalate"],
    )  # fmt: skip


def sweep(at: datetime, **kwargs):
    with time_machine.travel(at, tick=False):
        return services.sla_sweep(**kwargs)


def kinds(ticket) -> list[str]:
    return list(Event.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))


def test_nothing_fires_before_its_time(desk, policy):
    with time_machine.travel(T0, tick=False):
        tf.ticket(desk["queues"]["inhouse"])
    result = sweep(T0 + timedelta(minutes=44))
    assert (result.warnings, result.breaches) == (0, 0)


def test_warning_then_breach_fire_once_each_with_their_actions(desk, policy):
    north = desk["vendors"]["north"]
    north.webhook_url = "https://hooks.northwind.example/helpdesk"
    north.save()
    agent = desk["people"]["north_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(desk["queues"]["north"])
        services.ticket_assign(actor=None, ticket=ticket, assignee=agent)
    # First reply (60 min) warns at 45 min: the assignee is told.
    result = sweep(T0 + timedelta(minutes=46))
    assert (result.warnings, result.breaches) == (1, 0)
    warning = Notification.objects.get(kind="sla_warning")
    assert warning.recipient == agent.email and warning.channel == "email"
    assert "at risk" in warning.subject
    # Running again fires nothing more.
    assert sweep(T0 + timedelta(minutes=47)).warnings == 0
    # The breach at 60 minutes: assignee, the assignee's team lead, the vendor's webhook,
    # priority up one step, and an escalation request on the timeline.
    result = sweep(T0 + timedelta(minutes=61))
    assert (result.warnings, result.breaches) == (0, 1)
    breach = Notification.objects.filter(kind="sla_breach")
    assert sorted(n.recipient for n in breach if n.channel == "email") == sorted(
        [agent.email, desk["people"]["north_lead"].email]
    )
    hook = breach.get(channel="webhook")
    assert hook.vendor == north and hook.payload["event"] == "sla.breach"
    assert hook.payload["sla"]["metric"] == "first_reply"
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    assert kinds(ticket)[-4:] == ["sla_warning", "sla_breach", "priority_changed",
                                  "sla_escalation_requested"]  # fmt: skip
    assert sweep(T0 + timedelta(minutes=62)).breaches == 0
    assert sweep(T0 + timedelta(hours=3)).breaches == 0
    clock = SLAClock.objects.get(ticket=ticket, metric="first_reply")
    assert clock.warned_at == T0 + timedelta(minutes=46)
    assert clock.breached_at == T0 + timedelta(minutes=61)
    assert clock.next_check_at is None


def test_a_sweep_that_was_down_catches_up_once(desk, policy):
    with time_machine.travel(T0, tick=False):
        tickets = [tf.ticket(desk["queues"]["inhouse"]) for _ in range(5)]
    # Down for ten hours: both clocks of each ticket warned and breached meanwhile.
    result = sweep(T0 + timedelta(hours=10), batch=2)
    assert (result.warnings, result.breaches) == (10, 10)
    for ticket in tickets:
        assert kinds(ticket).count("sla_warning") == 2
        assert kinds(ticket).count("sla_breach") == 2
        late = Event.objects.filter(ticket=ticket, kind="sla_breach", after__metric="first_reply")
        assert late.get().after["late_by_seconds"] == 9 * 3600
    assert sweep(T0 + timedelta(hours=10, seconds=10)).breaches == 0


def test_paused_and_fulfilled_clocks_never_fire(desk, policy):
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        paused = tf.ticket(desk["queues"]["inhouse"])
        services.ticket_change_status(actor=None, ticket=paused, status=Status.PENDING)
        answered = tf.ticket(desk["queues"]["inhouse"])
        services.ticket_reply(actor=agent, ticket=answered, body="Done", status="solved")
    result = sweep(T0 + timedelta(days=3))
    assert (result.warnings, result.breaches) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_ticket_locked_by_an_agent_is_left_for_the_next_sweep(desk, policy):
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(desk["queues"]["inhouse"])
    # Another session (an agent's request) holds the ticket's row lock.
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params) as other:
        other.execute("SELECT 1 FROM tickets_ticket WHERE id = %s FOR UPDATE", [ticket.pk])
        result = sweep(T0 + timedelta(minutes=61))
        assert result.breaches == 0 and result.skipped_locked == 1
        other.rollback()
    assert sweep(T0 + timedelta(minutes=61)).breaches == 1


def test_the_sweep_makes_a_fixed_number_of_queries_per_batch(
    desk, policy, django_assert_max_num_queries
):
    factories.user(role=Role.LEAD, team=desk["teams"]["inhouse"])
    with time_machine.travel(T0, tick=False):
        for _ in range(40):
            tf.ticket(desk["queues"]["inhouse"])
    with django_assert_max_num_queries(16):
        result = sweep(T0 + timedelta(minutes=50), batch=100)
    assert result.warnings == 40


def test_the_due_clocks_are_found_by_an_index_range_scan(desk, policy):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id, ticket_id FROM tickets_slaclock WHERE next_check_at <= now() "
            "ORDER BY next_check_at LIMIT 1000"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "sla_clock_next_check_idx" in plan


def test_an_assignee_who_is_also_the_lead_gets_one_mail(desk, policy):
    lead = desk["people"]["north_lead"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(desk["queues"]["north"])
        services.ticket_assign(actor=None, ticket=ticket, assignee=lead)
    sweep(T0 + timedelta(minutes=61))
    mails = Notification.objects.filter(kind="sla_breach", channel="email")
    assert [n.recipient for n in mails] == [lead.email]


def test_a_breach_with_the_escalate_action_raises_an_escalation_when_a_reason_handles_it(
    desk, policy
):  # fmt: skip
    from escalations.models import Escalation, EscalationReason
    from tests.escalations import factories as ef

    ef.reason(desk["teams"]["inhouse"], name="SLA breach review",
              trigger=EscalationReason.Trigger.SLA_BREACH, severity=2)  # fmt: skip
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(desk["queues"]["north"])
    sweep(T0 + timedelta(minutes=61))
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.automatic and escalation.severity == 2
    assert "first_reply" in escalation.summary
    assert "escalation_raised" in kinds(ticket)
    assert "sla_escalation_requested" not in kinds(ticket)
    # A second breach (another metric, later) does not open a second one for that team.
    sweep(T0 + timedelta(hours=30))
    assert Escalation.objects.filter(ticket=ticket).count() == 1
