"""The queue counts follow the ticket changes themselves (tickets.counts): after every kind
of change they equal a count of the tickets, and the periodic recount corrects and reports
any drift."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.tickets import factories as tf
from tickets import counts, selectors, services
from tickets.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    WORKABLE_STATUSES,
    QueueCount,
    QueueCountDelta,
    Status,
    Ticket,
)
from tickets.tasks import recount_queue_counts, refresh_queue_counts

pytestmark = pytest.mark.django_db


def _since():  # type: ignore[no-untyped-def]
    return timezone.now() - timedelta(days=selectors.RECENTLY_SOLVED_DAYS)


def counted(since=None) -> dict:  # type: ignore[no-untyped-def]
    """Every queue's counts from the tickets themselves, as the five-second refresh counted
    them before the counts followed the changes."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT queue_id,
                   count(*) FILTER (WHERE status IN ('new', 'open', 'pending', 'on_hold')),
                   count(*) FILTER (WHERE assignee_id IS NULL AND status IN ('new', 'open')),
                   count(*) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status IN ('solved', 'closed') AND solved_at >= %s)
              FROM tickets_ticket GROUP BY queue_id
            """,
            [since or _since()],
        )
        return _nonzero({q: tuple(values) for q, *values in cursor.fetchall()})


def _nonzero(per_queue: dict) -> dict:
    return {q: values for q, values in per_queue.items() if any(values)}


def assert_counts_follow(since=None) -> None:  # type: ignore[no-untyped-def]
    """Read before and after a fold, the counts are what a count of the tickets finds."""
    since = since or _since()
    expected = counted(since)
    assert _nonzero(counts.read(since=since)) == expected
    counts.fold_deltas(since=since)
    assert not QueueCountDelta.objects.exists()
    assert _nonzero(counts.read(since=since)) == expected
    assert not counts.recount(since=since).drift


def test_the_migration_spells_the_statuses_as_the_models_do():
    assert (ACTIVE_STATUSES, WORKABLE_STATUSES, DONE_STATUSES) == (
        ("new", "open", "pending", "on_hold"), ("new", "open"), ("solved", "closed"))  # fmt: skip


def test_counts_follow_create_status_assign_and_queue_moves(desk):
    north, atlas = desk["queues"]["north"], desk["queues"]["atlas"]
    agent = desk["people"]["north_agent"]
    tickets = [tf.ticket(north) for _ in range(5)]
    tf.ticket(atlas)
    assert_counts_follow()
    services.ticket_change_status(actor=agent, ticket=tickets[0], status=Status.OPEN)
    services.ticket_change_status(actor=agent, ticket=tickets[1], status=Status.PENDING)
    services.ticket_change_status(actor=agent, ticket=tickets[2], status=Status.ON_HOLD)
    services.ticket_change_status(actor=agent, ticket=tickets[3], status=Status.SOLVED)
    assert_counts_follow()
    services.ticket_assign(actor=agent, ticket=tickets[0], assignee=agent)
    services.ticket_assign(actor=agent, ticket=tickets[4], assignee=agent)
    services.ticket_change_status(actor=agent, ticket=tickets[3], status=Status.OPEN)  # reopened
    assert_counts_follow()
    services.ticket_assign(actor=agent, ticket=tickets[4], assignee=None)
    services.ticket_move_queue(actor=desk["people"]["admin"], ticket=tickets[0], queue=atlas)
    services.ticket_change_status(actor=agent, ticket=tickets[1], status=Status.SOLVED)
    services.ticket_change_status(actor=agent, ticket=tickets[1], status=Status.CLOSED)
    assert_counts_follow()
    assert counted()[north.pk] == (3, 2, 0, 1)


def test_counts_follow_a_merge_and_a_requester_reopening_by_reply(desk):
    north, agent = desk["queues"]["north"], desk["people"]["north_agent"]
    requester = tf.requester()
    source, target = tf.ticket(north, requester_=requester), tf.ticket(north, requester_=requester)
    services.ticket_assign(actor=agent, ticket=target, assignee=agent)
    services.ticket_merge(actor=agent, source=source, target=target)
    assert_counts_follow()
    services.ticket_change_status(actor=agent, ticket=target, status=Status.SOLVED)
    assert_counts_follow()
    services.ticket_requester_reply(ticket=target, body="It broke again.")
    assert Ticket.objects.get(pk=target.pk).status == Status.OPEN
    assert_counts_follow()


def test_counts_follow_the_bulk_form_bulk_updates_and_deletes(desk, client):
    north, atlas = desk["queues"]["north"], desk["queues"]["atlas"]
    tickets = [tf.ticket(north) for _ in range(6)]
    client.force_login(desk["people"]["admin"])
    client.post("/tickets/bulk/", {"refs": [t.reference for t in tickets[:4]],
                                   "action": "status", "status": "solved"})  # fmt: skip
    assert Ticket.objects.filter(status=Status.SOLVED).count() == 4
    assert_counts_follow()
    # Bulk UPDATEs that no service makes: the triggers count them all the same.
    Ticket.objects.filter(status=Status.SOLVED).update(status=Status.CLOSED)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[4:]]).update(queue=atlas)
    Ticket.objects.filter(pk=tickets[5].pk).update(status=Status.PENDING, assignee=None)
    assert_counts_follow()
    Ticket.objects.bulk_create([Ticket(subject="Copied", requester=tickets[0].requester,
                                       queue=north, status=status)
                                for status in ("new", "open", "pending", "on_hold")])  # fmt: skip
    assert_counts_follow()
    Ticket.objects.filter(subject="Copied", status__in=["new", "pending"]).delete()
    assert_counts_follow()


def test_counts_follow_the_sla_sweep_and_the_auto_close(desk):
    north, agent = desk["queues"]["north"], desk["people"]["north_agent"]
    tf.sla_policy(name="Quick", queues=[north])
    breached = tf.ticket(north)
    solved = tf.ticket(north)
    services.ticket_change_status(actor=agent, ticket=solved, status=Status.SOLVED)
    Ticket.objects.filter(pk=solved.pk).update(solved_at=timezone.now() - timedelta(days=5))
    assert_counts_follow()
    result = services.sla_sweep(now=timezone.now() + timedelta(days=30))
    assert result.breaches
    assert Ticket.objects.get(pk=breached.pk).sla_breached
    assert services.tickets_close_quiet_solved(quiet_for=timedelta(hours=96)) == 1
    assert Ticket.objects.get(pk=solved.pk).status == Status.CLOSED
    assert_counts_follow()


def test_recently_solved_leaves_the_window_to_the_second(desk):
    north, agent = desk["queues"]["north"], desk["people"]["north_agent"]
    now = timezone.now().replace(minute=20, second=0, microsecond=0)
    window = timedelta(days=selectors.RECENTLY_SOLVED_DAYS)
    # Solved either side of the window's edge, inside its first (cut) hour, and well inside.
    ages = [
        window + timedelta(minutes=1),
        window - timedelta(minutes=1),
        window - timedelta(minutes=50),
        window - timedelta(hours=3),
        timedelta(hours=1),
    ]
    for age in ages:
        ticket = tf.ticket(north)
        services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
        Ticket.objects.filter(pk=ticket.pk).update(solved_at=now - age)
    assert counted(now - window)[north.pk][3] == 4
    for later in [timedelta(0), timedelta(minutes=2), timedelta(minutes=45), timedelta(hours=2),
                  timedelta(hours=4), window]:  # fmt: skip
        since = now + later - window
        assert _nonzero(counts.read(since=since)) == counted(since), later
        counts.fold_deltas(since=since)  # drops the hours the window has left
        assert _nonzero(counts.read(since=since)) == counted(since), later
    assert not QueueCount.objects.filter(counter="solved", hour__lt=int(now.timestamp()) // 3600)


def test_the_beat_tasks_fold_then_share_the_counts_and_recount_finds_nothing(desk):
    north = desk["queues"]["north"]
    tf.ticket(north)
    tf.ticket(north)
    assert QueueCountDelta.objects.exists()
    assert refresh_queue_counts() >= 1
    assert not QueueCountDelta.objects.exists()
    assert selectors.sidebar_counts(desk["people"]["north_agent"])["all"] == 2
    assert recount_queue_counts() == 0
    assert counts.last_check()["drift"] == 0


def test_drift_is_corrected_and_reported(desk, caplog, client):
    north, agent = desk["queues"]["north"], desk["people"]["north_agent"]
    tickets = [tf.ticket(north) for _ in range(3)]
    refresh_queue_counts()
    # Changes made round the triggers, as a restore or a replication apply would make them.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    services.ticket_change_status(actor=agent, ticket=tickets[0], status=Status.PENDING)
    services.ticket_assign(actor=agent, ticket=tickets[1], assignee=agent)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    QueueCount.objects.filter(queue=north, counter="active").update(n=7)
    assert counts.read(since=_since())[north.pk] == (7, 3, 0, 0)

    with caplog.at_level(logging.WARNING, logger="tickets.counts"):
        check = counts.recount(since=_since())
    assert check.drift == {(north.pk, "active"): -4, (north.pk, "unassigned"): -2,
                           (north.pk, "pending"): 1}  # fmt: skip
    assert check.total == 7
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"queue {north.pk}, active: the kept count was off by +4; corrected" in warnings[0]
    assert len(warnings) == 3
    assert counts.read(since=_since())[north.pk] == counted()[north.pk] == (3, 1, 1, 0)
    assert not counts.recount(since=_since()).drift
    assert client.get("/healthz").json()["checks"]["queue_counts"]["drift"] == 0


def test_healthz_shows_the_last_recounts_drift(desk, client):
    tf.ticket(desk["queues"]["north"])
    counts.fold_deltas(since=_since())
    QueueCount.objects.filter(counter="active").update(n=5)
    counts.recount(since=_since())
    check = client.get("/healthz").json()["checks"]["queue_counts"]
    assert check["ok"] and check["drift"] == 4 and check["checked_seconds_ago"] < 60
