"""Folding facts into the rollups, in the background (beat, every few seconds).

Each fold takes up to ``batch`` unfolded facts (``FOR UPDATE SKIP LOCKED``: a fact still
inside an open transaction is invisible and waits for the next fold), marks them folded
and adds them, per hour and per local day and week, into every slice they belong to, all in one
transaction: a fact is folded once or not at all. Folds are serialised by an advisory
lock. The cost follows the facts written since the last fold, not the history kept.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import measures

logger = logging.getLogger(__name__)

_LOCK = 0x616E616C  # "anal": one fold at a time

_SLICES_SQL = """
SELECT d.dim, d.value FROM (VALUES
       ('', ''), ('language', b.language), ('channel', b.channel),
       ('category', b.category), ('priority', b.priority::text),
       ('vendor', b.vendor_id::text), ('team', b.team_id::text),
       ('agent', b.agent_id::text),
       ('reason', b.category || '/' || b.language)) AS d (dim, value)
 WHERE d.value IS NOT NULL
UNION ALL
SELECT 'tag', tag FROM unnest(b.tags) AS tag
"""


def _measure_exprs() -> tuple[list[str], list[str], list[str]]:
    """(columns, aggregate expressions over the batch, ON CONFLICT assignments)."""
    columns, aggregates, merges = [], [], []
    for kind in measures.ALL_KINDS:
        where = f"FILTER (WHERE b.kind = '{kind}')"
        if kind in measures.COUNT_KINDS:
            columns.append(kind)
            aggregates.append(f"coalesce(sum(b.sign) {where}, 0)")
            merges.append(f"{kind} = r.{kind} + excluded.{kind}")
            continue
        columns += [f"{kind}_n", f"{kind}_sum"]
        aggregates += [f"coalesce(sum(b.sign) {where}, 0)",
                       f"coalesce(sum(b.sign * b.value) {where}, 0)"]  # fmt: skip
        merges += [f"{kind}_n = r.{kind}_n + excluded.{kind}_n",
                   f"{kind}_sum = r.{kind}_sum + excluded.{kind}_sum"]  # fmt: skip
        if kind in measures.DURATION_KINDS:
            columns.append(f"{kind}_hist")
            aggregates.append(f"analytics_hist_agg(b.bucket, b.sign) {where}")
            merges.append(f"{kind}_hist = analytics_hist_add(r.{kind}_hist, excluded.{kind}_hist)")
    return columns, aggregates, merges


def summed(columns: list[str]) -> list[str]:
    """Rows of the rollups' shape summed into coarser ones: each column's sum, histograms
    bucket by bucket."""
    return [f"analytics_hist_sum({c}) AS {c}" if c.endswith("_hist") else f"sum({c}) AS {c}"
            for c in columns]  # fmt: skip


_COLUMNS, _AGGREGATES, _MERGES = _measure_exprs()

# The batch's facts are aggregated once per hour and slice (the costly part: every fact
# in each of its slices, ~3 µs a slice at 1M); the local days are summed from those hours
# where the zone's day starts on the hour, and the weeks from the days. Aggregating the
# facts again for each zone's days and weeks made a backfill's folds 1.6 times as long
# (139 s against 86 s for the first 60,000 of 1M tickets, two kept zones).
HOURS_SQL = f"""
CREATE TEMP TABLE analytics_fold_hours ON COMMIT DROP AS
SELECT date_trunc('hour', b.at) AS hour, b.queue_id, s.dim, s.value,
       {", ".join(f"{a} AS {c}" for a, c in zip(_AGGREGATES, _COLUMNS, strict=True))}
  FROM pg_temp.analytics_fold_batch AS b
 CROSS JOIN LATERAL ({_SLICES_SQL}) AS s (dim, value)
 GROUP BY 1, 2, 3, 4
"""  # noqa: S608 - built from the measures' names, no input

# Whether every hour of the batch lies in one local day of the zone (its offset a whole
# number of hours then: not India's +05:30, nor Nepal's +05:45).
WHOLE_HOURS_SQL = """
SELECT coalesce(bool_and(date_trunc('hour', h.local) = h.local), true)
  FROM (SELECT DISTINCT hour AT TIME ZONE %(zone)s AS local
          FROM pg_temp.analytics_fold_hours) AS h
"""
DAYS_FROM_HOURS_SQL = f"""
CREATE TEMP TABLE analytics_fold_days ON COMMIT DROP AS
SELECT (hour AT TIME ZONE %(zone)s)::date AS day, queue_id, dim, value,
       {", ".join(summed(_COLUMNS))}
  FROM pg_temp.analytics_fold_hours GROUP BY 1, 2, 3, 4
"""  # noqa: S608 - built from the measures' names, no input
DAYS_FROM_FACTS_SQL = HOURS_SQL.replace("analytics_fold_hours", "analytics_fold_days").replace(
    "date_trunc('hour', b.at) AS hour", "(b.at AT TIME ZONE %(zone)s)::date AS day"
)
_ZONE_DROP_SQL = "DROP TABLE IF EXISTS pg_temp.analytics_fold_days"


def _upsert_sql(table: str, period_cols: list[str], select: str, conflict: str) -> str:
    return f"""
    INSERT INTO {table} AS r ({", ".join(period_cols)}, queue_id, dim, value, {", ".join(_COLUMNS)})
    {select}
    ON CONFLICT ON CONSTRAINT {conflict} DO UPDATE SET {", ".join(_MERGES)}
    """


HOURLY_SQL = _upsert_sql("analytics_hourlyrollup", ["hour"],
                         "SELECT * FROM pg_temp.analytics_fold_hours",
                         "analytics_hourly_key")  # fmt: skip
DAILY_SQL = _upsert_sql("analytics_dailyrollup", ["zone", "day"],
                        "SELECT %(zone)s::text, * FROM pg_temp.analytics_fold_days",
                        "analytics_daily_key")  # fmt: skip
WEEKLY_SQL = _upsert_sql(
    "analytics_weeklyrollup", ["zone", "day"],
    f"SELECT %(zone)s::text, date_trunc('week', day)::date, queue_id, dim, value, "  # noqa: S608
    f"{', '.join(summed(_COLUMNS))} FROM pg_temp.analytics_fold_days "
    "GROUP BY 2, 3, 4, 5",
    "analytics_weekly_key",
)  # fmt: skip

# Dropped first too: inside an outer transaction (tests, backfill) there is no commit.
# New tickets per ten minutes in the series spike detection watches (analytics.watch).
SPIKE_COUNTS_SQL = """
INSERT INTO analytics_spikecount AS r (dim, value, bucket, n)
SELECT s.dim, s.value, to_timestamp(floor(extract(epoch FROM b.at) / 600) * 600), sum(b.sign)
  FROM pg_temp.analytics_fold_batch AS b
 CROSS JOIN LATERAL (VALUES ('reason', b.category || '/' || b.language),
                            ('queue', b.queue_id::text)) AS s (dim, value)
 WHERE b.kind = 'created' AND s.value IS NOT NULL
 GROUP BY 1, 2, 3
ON CONFLICT ON CONSTRAINT analytics_spike_key DO UPDATE SET n = r.n + excluded.n
"""

_BATCH_SQL = (
    "DROP TABLE IF EXISTS pg_temp.analytics_fold_batch, pg_temp.analytics_fold_hours; "
    "CREATE TEMP TABLE analytics_fold_batch (LIKE analytics_fact) ON COMMIT DROP"
)
_TAKE_SQL = """
WITH picked AS (
    SELECT id FROM analytics_fact WHERE NOT folded ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
), taken AS (
    UPDATE analytics_fact AS f SET folded = true FROM picked WHERE f.id = picked.id
    RETURNING f.*
)
INSERT INTO pg_temp.analytics_fold_batch SELECT * FROM taken
"""


def day_zones() -> list[str]:
    return list(dict.fromkeys(settings.ANALYTICS_DAY_ZONES))


def fold(*, batch: int = 20_000) -> int:
    """Fold up to ``batch`` facts; returns how many (0: nothing waiting, or another fold
    is running)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        # Its groupings in memory, not sorted on disk (at a backfill's batch of 400,000
        # facts the daily fold took 8 s instead of 11).
        cursor.execute(
            "SELECT set_config('work_mem', %s, true)", [settings.ANALYTICS_FOLD_WORK_MEM]
        )
        cursor.execute(_BATCH_SQL)
        cursor.execute(_TAKE_SQL, [batch])
        taken = cursor.rowcount
        if taken <= 0:
            return 0
        cursor.execute(HOURS_SQL)
        cursor.execute(HOURLY_SQL)
        cursor.execute(SPIKE_COUNTS_SQL)
        for zone in day_zones():
            params = {"zone": zone}
            cursor.execute(WHOLE_HOURS_SQL, params)
            (whole,) = cursor.fetchone()
            cursor.execute(_ZONE_DROP_SQL)
            cursor.execute(DAYS_FROM_HOURS_SQL if whole else DAYS_FROM_FACTS_SQL, params)
            cursor.execute(DAILY_SQL, params)
            cursor.execute(WEEKLY_SQL, params)
        return taken


def fold_all(*, batch: int = 20_000) -> int:
    """Fold until nothing is waiting (tests, backfill)."""
    total = 0
    while done := fold(batch=batch):
        total += done
    return total


# ------------------------------------------------------------ weeks against their days

# The weeks rechecked: the current one and the two before it (a week still being folded
# into, and those a late fold or an upgrade could have left behind).
RECHECK_WEEKS = 3


def _weeks_from_days_sql() -> str:
    """Each week of one zone from ``first`` on, as the sum of its days (histograms bucket by
    bucket): what its weekly rows must hold."""
    picked = ", ".join(["zone", "date_trunc('week', day)::date AS day", "queue_id", "dim",
                        "value", *summed(measures.all_columns())])  # fmt: skip
    return (f"SELECT {picked} FROM analytics_dailyrollup "  # noqa: S608 - the measures' names
            "WHERE zone = %(zone)s AND day >= %(first)s GROUP BY 1, 2, 3, 4, 5")  # fmt: skip


def check_weeks(*, weeks: int = RECHECK_WEEKS, now: datetime | None = None) -> int:
    """Beat, daily: the last ``weeks`` weeks' rows of every kept zone made equal again to
    the sum of their days; returns how many rows differed (logged). A week is folded with
    its days in one transaction, so none should: a worker still running code from before
    the weekly rollups (an upgrade that did not restart it) folds days only."""
    now = now or timezone.now()
    columns = measures.all_columns()
    differs = " OR ".join(_differs(c) for c in columns)
    into = ", ".join(["zone", "day", "queue_id", "dim", "value", *columns])
    wrong = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])  # no fold meanwhile
        cursor.execute(
            "SELECT set_config('work_mem', %s, true)", [settings.ANALYTICS_FOLD_WORK_MEM]
        )
        for zone in day_zones():
            today = now.astimezone(ZoneInfo(zone)).date()
            first = _monday(today) - timedelta(weeks=weeks - 1)
            params: dict[str, str | date] = {"zone": zone, "first": first}
            cursor.execute("DROP TABLE IF EXISTS pg_temp.analytics_week_check")
            cursor.execute("CREATE TEMP TABLE analytics_week_check ON COMMIT DROP AS "
                           + _weeks_from_days_sql(), params)  # fmt: skip
            compared = f"""
                SELECT count(*) FROM (SELECT * FROM analytics_weeklyrollup
                                       WHERE zone = %(zone)s AND day >= %(first)s) AS w
                  FULL JOIN analytics_week_check AS d
                    ON (w.day, w.dim, w.value) = (d.day, d.dim, d.value)
                   AND w.queue_id IS NOT DISTINCT FROM d.queue_id
                 WHERE w.id IS NULL OR d.zone IS NULL OR {differs}
            """  # noqa: S608 - the measures' names
            cursor.execute(compared, params)
            (found,) = cursor.fetchone()
            if not found:
                continue
            wrong += found
            logger.warning("analytics: %d weekly rows of %s from %s differed from their days; "
                           "rebuilt", found, zone, first)  # fmt: skip
            cursor.execute("DELETE FROM analytics_weeklyrollup WHERE zone = %(zone)s "
                           "AND day >= %(first)s", params)  # fmt: skip
            cursor.execute(f"INSERT INTO analytics_weeklyrollup ({into}) "  # noqa: S608
                           f"SELECT * FROM analytics_week_check")  # fmt: skip
    return wrong


def _differs(column: str) -> str:
    if column.endswith("_sum"):  # floats: summed in another order, the last digits differ
        w, d = f"w.{column}", f"d.{column}"
        return f"({w} IS NULL) <> ({d} IS NULL) OR abs({w} - {d}) > 1e-6 * greatest(1.0, abs({d}))"
    return f"w.{column} IS DISTINCT FROM d.{column}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
