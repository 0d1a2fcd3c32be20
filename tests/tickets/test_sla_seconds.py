"""SLA targets in seconds (a live chat's first reply in 60 s): clocks, business hours, the
warning point, the sweep, how they show, validation, and the chat queue's own policy."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from analytics.models import Fact
from chat import defaults
from chat import services as chat_services
from tests.tickets import factories as tf
from tickets import presenters, services
from tickets.models import Event, Priority, SLAClock, SLAPolicy, SLATarget
from tickets.sla import services as sla

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
State = SLAClock.State


def seconds_policy(*, queues=(), calendar_=None, first=None, nxt=None,
                   resolution_minutes=None, **fields) -> SLAPolicy:  # type: ignore[no-untyped-def]  # fmt: skip
    """Reply targets in seconds at every priority."""
    fields.setdefault("name", "Seconds")
    policy = SLAPolicy.objects.create(calendar=calendar_ or tf.calendar(), **fields)
    policy.queues.set(queues)
    SLATarget.objects.bulk_create(
        SLATarget(policy=policy, priority=priority, first_reply_seconds=first,
                  next_reply_seconds=nxt, resolution_minutes=resolution_minutes)
        for priority in Priority.values
    )  # fmt: skip
    return policy


def live(ticket, metric: str) -> SLAClock:  # type: ignore[no-untyped-def]
    return SLAClock.objects.get(ticket=ticket, metric=metric, state__in=["running", "paused"])


# ------------------------------------------------------------------ targets and clocks


def test_a_target_in_seconds_wins_and_minutes_count_sixty_each():
    target = SLATarget(first_reply_seconds=45, next_reply_minutes=2, resolution_minutes=480)
    assert target.seconds_for("first_reply") == 45
    assert target.seconds_for("next_reply") == 120
    assert target.seconds_for("resolution") == 8 * 3600
    assert SLATarget().seconds_for("first_reply") is None


def test_a_seconds_target_starts_a_clock_of_that_many_seconds(desk):
    queue = desk["queues"]["inhouse"]
    seconds_policy(queues=[queue], first=90, nxt=120, resolution_minutes=480)
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    first = live(ticket, "first_reply")
    # 75% of 90 s is 67.5 s, counted in whole seconds: 67.
    assert (first.target_seconds, first.warn_seconds) == (90, 67)
    assert first.due_at == T0 + timedelta(seconds=90)
    assert first.warn_at == T0 + timedelta(seconds=67)
    assert live(ticket, "resolution").target_seconds == 8 * 3600
    ticket.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(seconds=90)
    # The requester writes after the first reply: a next reply is owed in 120 s.
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        services.ticket_reply(actor=agent, ticket=ticket, body="Hello")
    with time_machine.travel(T0 + timedelta(seconds=40), tick=False):
        services.ticket_requester_reply(ticket=ticket, body="Still locked out")
    nxt = live(ticket, "next_reply")
    assert (nxt.target_seconds, nxt.warn_seconds) == (120, 90)
    assert nxt.due_at == T0 + timedelta(seconds=160)


def test_business_hours_still_apply_to_a_seconds_target(desk):
    queue = desk["queues"]["inhouse"]
    office = tf.calendar(office_hours=True)  # Monday to Friday, 09:00 to 18:00 UTC
    seconds_policy(queues=[queue], calendar_=office, first=60)
    # Wednesday 17:59:30: 30 s are left today, the other 30 s on Thursday from 09:00.
    with time_machine.travel(datetime(2026, 11, 18, 17, 59, 30, tzinfo=UTC), tick=False):
        ticket = tf.ticket(queue)
    first = live(ticket, "first_reply")
    assert first.due_at == datetime(2026, 11, 19, 9, 0, 30, tzinfo=UTC)
    # The warning at 45 s: 30 s on Wednesday, 15 s on Thursday.
    assert first.warn_at == datetime(2026, 11, 19, 9, 0, 15, tzinfo=UTC)
    # The night does not count: a reply at Thursday 09:00:20 is on time (50 s used).
    with time_machine.travel(datetime(2026, 11, 19, 9, 0, 20, tzinfo=UTC), tick=False):
        services.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket, body="Hi")
    assert SLAClock.objects.get(ticket=ticket, metric="first_reply").state == State.MET


def test_the_warning_comes_at_least_one_sweep_before_a_short_target():
    policy = SLAPolicy(warn_at_percent=95)
    # 95% of 60 s is 57 s: a sweep every 10 s could see it only with the breach.
    assert sla.warn_seconds(policy, 60) == 50
    assert sla.warn_seconds(policy, 3600) == 3420  # minutes targets: 95% as before
    assert sla.warn_seconds(policy, 20) == 19  # too short to keep 10 s: the percentage
    assert sla.warn_seconds(SLAPolicy(warn_at_percent=75), 60) == 45


# ------------------------------------------------------------------------ the sweep


def test_a_sixty_second_target_is_breached_by_the_next_sweep_with_its_hooks(desk):
    queue = desk["queues"]["inhouse"]
    seconds_policy(queues=[queue], first=60, breach_actions=["escalate"])
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    # Beat sweeps every 10 s; these ticks run 3 s after each ten.
    fired = {}
    for tick in range(3, 80, 10):
        with time_machine.travel(T0 + timedelta(seconds=tick), tick=False):
            result = services.sla_sweep()
        if result.warnings:
            fired["warning"] = tick
        if result.breaches:
            fired["breach"] = tick
    # Warned at 45 s (the tick at 53 s), due at 60 s (the tick at 63 s).
    assert fired == {"warning": 53, "breach": 63}
    clock = SLAClock.objects.get(ticket=ticket, metric="first_reply")
    assert clock.breached_at == T0 + timedelta(seconds=63)
    ticket.refresh_from_db()
    assert ticket.sla_breached
    breach = Event.objects.get(ticket=ticket, kind="sla_breach")
    assert breach.after["late_by_seconds"] == 3.0
    # The hooks fire as for minutes: analytics counts the breach, the escalate action asks
    # for an escalation (no reason is set up for breaches: it waits on the timeline).
    assert Fact.objects.filter(ticket_id=ticket.pk, kind="sla_breached_first_reply").count() == 1
    assert Event.objects.filter(ticket=ticket, kind="sla_escalation_requested").exists()


# ---------------------------------------------------------------------- how it shows


def test_durations_under_ten_minutes_show_their_seconds():
    units = presenters.duration_units()
    assert presenters.short_duration(45, units) == "45s"
    assert presenters.short_duration(90, units) == "1m 30s"
    assert presenters.short_duration(120, units) == "2m"
    assert presenters.short_duration(0, units) == "0s"
    assert presenters.short_duration(599, units) == "9m 59s"
    assert presenters.short_duration(600, units) == "10m"
    assert presenters.short_duration(3 * 3600 + 125, units) == "3h 2m"
    # A ticket's age keeps to minutes.
    assert presenters.short_duration(45, presenters.duration_units(seconds=False)) == "<1m"


def test_the_badge_and_panel_of_a_seconds_target_read_in_seconds(desk, client):
    queue = desk["queues"]["inhouse"]
    seconds_policy(queues=[queue], first=60)
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue, subject="Chat-like")
    client.force_login(agent)
    with time_machine.travel(T0 + timedelta(seconds=15), tick=False):
        rows = client.get(reverse("tickets:queue") + "?view=all").content.decode()
        page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "45s left" in rows and "text-bg-success" in rows
    assert 'data-testid="sla-badge">45s left</span>' in page  # the ticket header
    assert "45s left" in page[page.index('data-testid="sla-panel"') :]
    with time_machine.travel(T0 + timedelta(seconds=80), tick=False):
        rows = client.get(reverse("tickets:queue") + "?view=all").content.decode()
    assert "20s overdue" in rows and "text-bg-danger" in rows


# ------------------------------------------------------------------------ validation


def test_validation_refuses_minutes_and_seconds_for_one_metric(desk):
    empty = SLAPolicy.objects.create(name="No targets yet", calendar=tf.calendar())
    target = SLATarget(policy=empty, priority=Priority.NORMAL, first_reply_minutes=1,
                       first_reply_seconds=60, next_reply_seconds=0)  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        target.full_clean(validate_unique=False)
    assert refused.value.message_dict == {
        "first_reply_seconds": ["Set this target in minutes or in seconds, not both."],
        "next_reply_seconds": ["Ensure this value is greater than or equal to 1."],
    }
    # The database refuses them too, whoever writes.
    policy = tf.sla_policy()
    SLATarget.objects.filter(policy=policy, priority=Priority.NORMAL).update(
        first_reply_minutes=None, first_reply_seconds=60)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        SLATarget.objects.filter(policy=policy, priority=Priority.NORMAL).update(
            first_reply_minutes=1)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        SLATarget.objects.filter(policy=policy, priority=Priority.LOW).update(
            next_reply_minutes=None, next_reply_seconds=0)  # fmt: skip


def test_the_admin_shows_which_target_has_both_and_takes_seconds_alone(desk, client):
    client.force_login(desk["people"]["admin"])
    calendar = tf.calendar()
    form = {
        "name": "Live chat", "position": "5", "is_active": "on", "calendar": str(calendar.pk),
        "high_profile": "any", "warn_at_percent": "75",
        "targets-TOTAL_FORMS": "1", "targets-INITIAL_FORMS": "0", "targets-0-priority": "2",
        "targets-0-first_reply_minutes": "1", "targets-0-first_reply_seconds": "60",
        "targets-0-next_reply_seconds": "90",
    }  # fmt: skip
    url = reverse("admin:tickets_slapolicy_add")
    response = client.post(url, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Set this target in minutes or in seconds, not both." in page and "violated" not in page
    response = client.post(url, {**form, "targets-0-first_reply_minutes": ""})
    assert response.status_code == 302
    target = SLATarget.objects.get(policy__name="Live chat")
    assert (target.seconds_for("first_reply"), target.seconds_for("next_reply")) == (60, 90)


# ------------------------------------------------------------- the chat queue's policy


@pytest.fixture
def chat_policy(line):
    """The default policy (any ticket, 24/7), then the chat defaults as the demo runs them."""
    standard = tf.sla_policy(name="Standard", position=100)
    defaults.ensure_defaults()
    return SLAPolicy.objects.get(name=defaults.CHAT_POLICY), standard


def test_the_chat_queue_gets_its_own_policy_on_the_default_calendar(line, chat_policy):
    policy, standard = chat_policy
    assert list(policy.queues.all()) == [line["queue"]] and policy.channels == ["chat"]
    assert policy.calendar_id == standard.calendar_id
    assert policy.position == 99  # tried before the others
    assert defaults.PRIORITIES == tuple(Priority.values)
    assert [(t.priority, t.first_reply_seconds, t.next_reply_seconds, t.first_reply_minutes,
             t.resolution_minutes) for t in policy.targets.all()] == [
        (p, 60, 120, None, None) for p in (1, 2, 3, 4)
    ]  # fmt: skip
    defaults.ensure_defaults()  # once
    assert SLAPolicy.objects.filter(name="Chat").count() == 1


def test_an_admins_policy_for_the_chat_queue_is_kept(line):
    tf.sla_policy(name="Standard")
    mine = tf.sla_policy(name="Our chat targets", queues=[line["queue"]])
    defaults.ensure_defaults()
    assert not SLAPolicy.objects.filter(name="Chat").exists()
    mine.delete()
    queue = line["queue"]
    queue.default_sla_policy = tf.sla_policy(name="Chat fallback", queues=[tf.queue("Other")])
    queue.save()
    defaults.ensure_defaults()
    assert not SLAPolicy.objects.filter(name="Chat").exists()


def test_the_migration_makes_the_same_with_its_historical_models(line):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    standard = tf.sla_policy(name="Standard", position=10)
    apps = MigrationExecutor(connection).loader.project_state(("chat", "0003_chat_sla_policy")).apps
    made = defaults.seed_sla(apps.get_model("tickets", "Queue"),
                             apps.get_model("tickets", "SLAPolicy"),
                             apps.get_model("tickets", "SLATarget"))  # fmt: skip
    policy = SLAPolicy.objects.get(pk=made.pk)
    assert (policy.name, policy.position, policy.calendar_id) == ("Chat", 9, standard.calendar_id)
    assert policy.targets.count() == 4


def test_no_policy_without_slas_set_up(line):
    defaults.ensure_defaults()
    assert not SLAPolicy.objects.exists()


def test_a_chat_gets_a_sixty_second_first_reply_that_the_agents_reply_stops(
    line, chat_policy, online, start, committed
):
    policy, _standard = chat_policy
    ana = line["chatters"]["ana"]
    online(ana)
    with time_machine.travel(T0, tick=False):
        chat, _token = start()
    first = live(chat.ticket, "first_reply")
    assert first.policy == policy
    assert (first.target_seconds, first.warn_seconds) == (60, 45)
    assert first.due_at == T0 + timedelta(seconds=60)
    assert not SLAClock.objects.filter(ticket=chat.ticket, metric="resolution").exists()
    with time_machine.travel(T0 + timedelta(seconds=20), tick=False):
        committed(chat_services.chat_accept, actor=ana, chat=chat)
    # Accepting is not a reply: the clock still runs.
    assert live(chat.ticket, "first_reply").state == State.RUNNING
    with time_machine.travel(T0 + timedelta(seconds=35), tick=False):
        committed(chat_services.chat_agent_send, actor=ana, chat=chat, body="Hola María",
                  client_id="a-1")  # fmt: skip
    first.refresh_from_db()
    assert (first.state, first.stopped_at) == (State.MET, T0 + timedelta(seconds=35))
    # The requester answers: the next reply is owed within 120 s.
    with time_machine.travel(T0 + timedelta(seconds=50), tick=False):
        committed(chat_services.chat_requester_send, chat=chat, body="Gracias", client_id="r-2")
    nxt = live(chat.ticket, "next_reply")
    assert (nxt.policy, nxt.target_seconds) == (policy, 120)
    assert nxt.due_at == T0 + timedelta(seconds=170)
