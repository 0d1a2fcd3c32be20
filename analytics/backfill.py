"""Rebuilding facts and rollups from the tickets' audit trails (``analytics_backfill``).

A fresh run empties facts and rollups, then replays tickets in id order, a batch per
transaction: the batch's tickets are locked FOR SHARE (a change to one waits), their
events replayed (``analytics.replay``) and the facts written; facts the hooks wrote for
them since the run began are taken back with their opposites, since the replay holds
them. Each batch commits with the run's position, so a run that stops resumes where it
was. The facts are folded as it goes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from analytics import facts, fold
from analytics.facts import FactRow
from analytics.models import BackfillState
from analytics.replay import EventRow, TicketRow, replay
from tickets.models import Queue
from tickets.sla import services as sla

FOLD_EVERY = 200_000


@dataclass
class Progress:
    done: int
    total: int
    facts: int


_TICKETS_SQL = """
SELECT t.id, t.created_at, t.queue_id, t.priority, t.tags, t.assignee_id, t.language,
       t.channel, t.category, r.is_high_profile
  FROM tickets_ticket AS t JOIN tickets_requester AS r ON r.id = t.requester_id
 WHERE t.id > %s ORDER BY t.id LIMIT %s
   FOR SHARE OF t
"""
_EVENTS_SQL = """
SELECT ticket_id, kind, actor_id, before, after, created_at FROM tickets_event
 WHERE ticket_id = ANY(%s) ORDER BY ticket_id, created_at, id
"""
_TAKE_BACK_SQL = """
INSERT INTO analytics_fact (kind, at, sign, value, bucket, ticket_id, queue_id, vendor_id,
                            team_id, agent_id, language, channel, category, priority, tags,
                            recorded_at, folded)
SELECT kind, at, -sign, value, bucket, ticket_id, queue_id, vendor_id, team_id, agent_id,
       language, channel, category, priority, tags, now(), false
  FROM analytics_fact WHERE ticket_id = ANY(%s) AND id > %s AND id <= %s
"""


def start() -> BackfillState:
    """Begin a fresh run: no facts, no rollups, position 0."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE analytics_fact IN EXCLUSIVE MODE")
        cursor.execute(
            "TRUNCATE analytics_fact, analytics_hourlyrollup, analytics_dailyrollup, "
            "analytics_weeklyrollup, analytics_spikecount"
        )
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        (total,) = cursor.fetchone()
        cursor.execute("SELECT last_value FROM analytics_fact_id_seq")
        (live_since,) = cursor.fetchone()
        BackfillState.objects.all().delete()
        return BackfillState.objects.create(live_since=live_since, total=total)


def current() -> BackfillState | None:
    return BackfillState.objects.order_by("-id").first()


def _batch(state: BackfillState, size: int, context: dict,
           people: facts.People | None = None) -> tuple[int, int]:  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_TICKETS_SQL, [state.last_ticket_id, size])
        tickets = [TicketRow(*row) for row in cursor.fetchall()]
        if not tickets:
            return 0, 0
        ids = [ticket.id for ticket in tickets]
        cursor.execute("SELECT coalesce(max(id), 0) FROM analytics_fact")
        (upto,) = cursor.fetchone()
        cursor.execute(_EVENTS_SQL, [ids])
        by_ticket: dict[int, list[EventRow]] = {}
        for ticket_id, kind, actor_id, before, after, at in cursor.fetchall():
            by_ticket.setdefault(ticket_id, []).append(
                EventRow(kind=kind, actor_id=actor_id, before=_json(before),
                         after=_json(after), at=at)
            )  # fmt: skip
        rows: list[FactRow] = []
        for ticket in tickets:
            rows += replay(ticket, by_ticket.get(ticket.id, []), **context)
        cursor.execute(_TAKE_BACK_SQL, [ids, state.live_since, upto])
        facts.copy(rows, people=facts.people() if people is None else people)
        state.last_ticket_id = ids[-1]
        state.save(update_fields=["last_ticket_id"])
        return len(tickets), len(rows)


def _json(value: object) -> dict:
    if isinstance(value, str):
        return json.loads(value)
    return value if isinstance(value, dict) else {}


def run(*, fresh: bool, batch: int = 2000,
        report: Callable[[Progress], None] = lambda _p: None) -> Progress:  # fmt: skip
    """Backfill from the start (``fresh``) or from where the last run stopped."""
    state = current()
    if fresh or state is None or state.finished_at is not None:
        state = start()
    context = {
        "queue_ids": dict(Queue.objects.values_list("slug", "id")),
        "queues": {queue.pk: queue for queue in Queue.objects.all()},
        "policies": sla.active_policies(),
    }
    people = facts.people()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE id <= %s",
                       [state.last_ticket_id])  # fmt: skip
        (done,) = cursor.fetchone()
    progress = Progress(done=done, total=state.total, facts=0)
    waiting = 0
    while True:
        count, written = _batch(state, batch, context, people)
        if not count:
            break
        progress.done += count
        progress.facts += written
        waiting += written
        # Folded in large batches: many facts share an hour and slice, so a big batch
        # writes each rollup row once where small ones would update it many times.
        if waiting >= FOLD_EVERY:
            fold.fold_all(batch=FOLD_EVERY * 2)
            waiting = 0
        report(progress)
    fold.fold_all(batch=FOLD_EVERY * 2)
    state.finished_at = timezone.now()
    state.save(update_fields=["finished_at"])
    return progress
