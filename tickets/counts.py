"""The queue sidebar's per-queue counts, at the cost of what changes, not of what exists.

Triggers on ``tickets_ticket`` (migration 0020) append a signed delta per queue and
counter to ``tickets_queuecountdelta`` in the transaction that changes a ticket, on every
path: services, bulk UPDATEs, COPY, the admin, raw SQL. So:

- ``read`` answers with the kept counts plus the deltas not folded yet, in one statement
  and one snapshot: exact as of that snapshot, whether or not a fold ran.
- ``fold_deltas`` (beat, every few seconds, with the refresh) moves the deltas into
  ``tickets_queuecount``; it only keeps ``read`` small, so its cost follows the changes.
- ``recount`` (beat, every ten minutes) counts the tickets as the old refresh did,
  corrects the kept counts and logs any difference at WARNING. A difference means
  something went round the triggers (a trigger disabled, a restore of one table).

"Recently solved" is a sliding window (solved_at within the last seven days), so it
cannot be one running number. Solved and closed tickets are kept per hour of
``solved_at``: the hours wholly inside the window are summed, and the one hour the
window's edge cuts is counted exactly from ``ticket_done_counts_idx`` (at most an hour
of solves), so the number is the old count's to the second. Hours that leave the
window are dropped by the fold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

HOUR_SECONDS = 3600
CHECK_CACHE_KEY = "tickets:queue-counts:check:v1"

# Per queue: (active, unassigned workable, pending, recently solved).
Counts = dict[int, tuple[int, int, int, int]]


def _edge_hour(since: datetime) -> int:
    """The hour (since the Unix epoch) that holds the window's start: hours after it are
    wholly inside the window; tickets solved in it are counted one by one."""
    return int(since.timestamp()) // HOUR_SECONDS


def read(*, since: datetime) -> Counts:
    """Every queue's counts, with "recently solved" meaning solved at or after ``since``."""
    edge = _edge_hour(since)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT queue_id,
                   coalesce(sum(n) FILTER (WHERE counter = 'active'), 0)::bigint,
                   coalesce(sum(n) FILTER (WHERE counter = 'unassigned'), 0)::bigint,
                   coalesce(sum(n) FILTER (WHERE counter = 'pending'), 0)::bigint,
                   coalesce(sum(n) FILTER (WHERE counter = 'solved'), 0)::bigint
              FROM (SELECT queue_id, counter, n FROM tickets_queuecount
                     WHERE hour IS NULL OR hour > %(edge)s
                    UNION ALL
                    SELECT queue_id, counter, n FROM tickets_queuecountdelta
                     WHERE hour IS NULL OR hour > %(edge)s
                    UNION ALL
                    SELECT queue_id, 'solved', 1 FROM tickets_ticket
                     WHERE status IN ('solved', 'closed')
                       AND solved_at >= %(since)s AND solved_at < to_timestamp(%(edge_end)s)
                   ) AS kept
             GROUP BY queue_id
            """,
            {"edge": edge, "since": since, "edge_end": (edge + 1) * HOUR_SECONDS},
        )
        return {queue_id: tuple(values) for queue_id, *values in cursor.fetchall()}


def fold_deltas(*, since: datetime) -> int:
    """Move the deltas into the counts, and drop solved hours the window has left (their
    deltas too: a ticket solved weeks ago and reopened now changes no count anyone reads).
    Returns how many deltas were folded.

    Safe to run concurrently with itself and with writers: a delta is deleted by exactly
    one fold (a second waits on the row and then skips it), and the upsert adds to the
    row under its lock."""
    edge = _edge_hour(since)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH moved AS (
                DELETE FROM tickets_queuecountdelta RETURNING queue_id, counter, hour, n
            ), folded AS (
                INSERT INTO tickets_queuecount AS c (queue_id, counter, hour, n)
                SELECT queue_id, counter, hour, sum(n) FROM moved
                 WHERE hour IS NULL OR hour >= %(edge)s
                 GROUP BY queue_id, counter, hour
                HAVING sum(n) <> 0
                    ON CONFLICT ON CONSTRAINT queue_count_unique
                    DO UPDATE SET n = c.n + EXCLUDED.n
            ), dropped AS (
                DELETE FROM tickets_queuecount WHERE hour < %(edge)s
            )
            SELECT count(*) FROM moved
            """,
            {"edge": edge},
        )
        return cursor.fetchone()[0]


@dataclass
class Check:
    """What a recount found: per (queue, counter), the count it found minus the one kept."""

    at: datetime
    drift: dict[tuple[int, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(abs(d) for d in self.drift.values())


def recount(*, since: datetime) -> Check:
    """Count every queue's tickets, set the kept counts to what was found, and report the
    difference (WARNING per queue and counter that was off)."""
    edge = _edge_hour(since)
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for the count, the kept counts and the deltas it deletes. Deltas
            # committed after it are not in the count and are left for the next fold.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # Folds wait meanwhile (readers do not). Taken before the first query, so the
        # snapshot comes after every fold that was running has committed.
        cursor.execute("LOCK TABLE tickets_queuecount IN SHARE ROW EXCLUSIVE MODE")
        # Two index-only scans of the counts' covering partial indexes, as the old
        # five-second refresh did (ticket_active_counts_idx, ticket_done_counts_idx).
        cursor.execute(
            """
            SELECT queue_id, counter, NULL::bigint, n
              FROM (SELECT queue_id, count(*) AS active,
                           count(*) FILTER (WHERE assignee_id IS NULL
                                              AND status IN ('new', 'open')) AS unassigned,
                           count(*) FILTER (WHERE status = 'pending') AS pending
                      FROM tickets_ticket
                     WHERE status IN ('new', 'open', 'pending', 'on_hold')
                     GROUP BY queue_id) AS a
             CROSS JOIN LATERAL (VALUES ('active', a.active), ('unassigned', a.unassigned),
                                        ('pending', a.pending)) AS v (counter, n)
             WHERE n <> 0
            UNION ALL
            SELECT queue_id, 'solved', floor(extract(epoch FROM solved_at) / 3600)::bigint,
                   count(*)
              FROM tickets_ticket
             WHERE status IN ('solved', 'closed') AND solved_at >= to_timestamp(%(start)s)
             GROUP BY 1, 3
            """,
            {"start": edge * HOUR_SECONDS},
        )
        found = {(q, counter, hour): n for q, counter, hour, n in cursor.fetchall()}
        cursor.execute(
            """
            SELECT queue_id, counter, hour, sum(n)::bigint
              FROM (SELECT queue_id, counter, hour, n FROM tickets_queuecount
                    UNION ALL
                    SELECT queue_id, counter, hour, n FROM tickets_queuecountdelta) AS kept
             WHERE hour IS NULL OR hour >= %(edge)s
             GROUP BY 1, 2, 3
            """,
            {"edge": edge},
        )
        kept = {(q, counter, hour): n for q, counter, hour, n in cursor.fetchall()}
        check = Check(at=timezone.now())
        for key in found.keys() | kept.keys():
            difference = found.get(key, 0) - kept.get(key, 0)
            if difference:
                queue_counter = key[:2]
                check.drift[queue_counter] = check.drift.get(queue_counter, 0) + difference
        if check.drift:
            cursor.execute("DELETE FROM tickets_queuecountdelta")
            cursor.execute("DELETE FROM tickets_queuecount")
            cursor.executemany(
                "INSERT INTO tickets_queuecount (queue_id, counter, hour, n) "
                "VALUES (%s, %s, %s, %s)",
                [(*key, n) for key, n in found.items()],
            )
    for (queue_id, counter), difference in sorted(check.drift.items()):
        log.warning(
            "Queue counts drifted: queue %s, %s: the kept count was off by %+d; corrected",
            queue_id, counter, -difference,
        )  # fmt: skip
    cache.set(CHECK_CACHE_KEY, {"at": check.at.isoformat(), "drift": check.total}, None)
    return check


def last_check() -> dict | None:
    """When the last recount ran and how far off the kept counts were (for /healthz)."""
    return cache.get(CHECK_CACHE_KEY)
