"""The daily check of the weekly rollups against their days (``analytics.fold.check_weeks``):
a week folded without its days' facts (a worker left running code from before the weekly
rollups) is rebuilt from the days, and weeks that agree are left as they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import fold
from tests.analytics.conftest import T0
from tests.tickets import factories as tf
from tickets import services

pytestmark = pytest.mark.django_db


def weeks() -> dict[tuple, tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT zone, day, queue_id, dim, value, created, first_reply_n, "
                       "first_reply_sum, first_reply_hist FROM analytics_weeklyrollup")  # fmt: skip
        return {row[:5]: row[5:] for row in cursor.fetchall()}


def test_weeks_that_lost_facts_are_rebuilt_from_their_days_and_the_others_left_alone(  # type: ignore[no-untyped-def]
        floor, settings, monkeypatch, caplog):  # fmt: skip
    settings.ANALYTICS_DAY_ZONES = ["UTC", "America/New_York"]
    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    for days_ago in (1, 9, 16, 40):  # this week, the last two, and one long before
        with time_machine.travel(T0 - timedelta(days=days_ago), tick=False):
            ticket = tf.ticket(queue, language="es")
        with time_machine.travel(T0 - timedelta(days=days_ago, minutes=-17), tick=False):
            services.ticket_reply(actor=agent, ticket=ticket, body="Looking into it")
    fold.fold_all()
    kept = weeks()
    assert kept and fold.check_weeks(now=T0) == 0
    assert weeks() == kept  # nothing differed, nothing rewritten

    # Two more tickets folded the way older code did: into hours and days, not weeks.
    with time_machine.travel(T0 - timedelta(days=9), tick=False):
        tf.ticket(queue)
    with time_machine.travel(T0 - timedelta(days=40), tick=False):
        tf.ticket(queue)
    monkeypatch.setattr(fold, "WEEKLY_SQL", "SELECT %(zone)s")
    fold.fold_all()
    monkeypatch.undo()
    short = weeks()
    assert short == kept

    caplog.set_level("WARNING", logger="analytics.fold")
    wrong = fold.check_weeks(now=T0)
    # Last week's rows that the new ticket counts in (the total, its channel, priority …)
    # in each zone; not the week 40 days back, older than the three weeks checked.
    assert wrong > 0 and "differed from their days" in caplog.text
    rebuilt = weeks()
    last_week = (T0 - timedelta(days=9)).date()
    monday = last_week - timedelta(days=last_week.weekday())
    total = ("UTC", monday, queue.pk, "", "")
    assert rebuilt[total][0] == kept[total][0] + 1
    old = (T0 - timedelta(days=40)).date()
    old_total = ("UTC", old - timedelta(days=old.weekday()), queue.pk, "", "")
    assert rebuilt[old_total] == kept[old_total]
    # Histograms and sums come back with the rows, and a second check finds nothing.
    first = rebuilt[("UTC", monday, queue.pk, "language", "es")]
    assert first == kept[("UTC", monday, queue.pk, "language", "es")] and first[1] == 1
    assert fold.check_weeks(now=T0) == 0


def _rows(cursor, sql: str, params: list) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    cursor.execute(sql, params)
    return {row[:4]: tuple(round(v, 6) if isinstance(v, float) else v for v in row[4:])
            for row in cursor.fetchall()}  # fmt: skip


def test_days_and_weeks_summed_from_the_folds_hours_equal_those_of_the_facts(  # type: ignore[no-untyped-def]
        floor, settings):  # fmt: skip
    """A fold sums a zone's days from its hours where the zone's days start on the hour
    (Paris, across the change to summer time) and aggregates them from the facts where
    they do not (India, +05:30); either way the days and weeks are those of the facts."""
    zones = ["Europe/Paris", "Asia/Kolkata"]
    settings.ANALYTICS_DAY_ZONES = zones
    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    dst = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # Paris: 02:00 becomes 03:00
    moments = [T0 + timedelta(hours=5 * k + 0.5) for k in range(30)]
    moments += [dst + timedelta(minutes=m) for m in (-75, -20, 10, 50, 130)]
    for n, moment in enumerate(moments):
        with time_machine.travel(moment, tick=False):
            ticket = tf.ticket(queue, language=("es", "ar")[n % 2])
        with time_machine.travel(moment + timedelta(minutes=40 + n), tick=False):
            services.ticket_reply(actor=agent, ticket=ticket, body="Looking into it")
        if n % 3 == 0:
            with time_machine.travel(moment + timedelta(hours=7), tick=False):
                services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
    with CaptureQueriesContext(connection) as queries:
        fold.fold_all(batch=9)  # several folds: days and weeks merged into rows already there
    sqls = [query["sql"] for query in queries.captured_queries]
    from_hours = [sql for sql in sqls if "FROM pg_temp.analytics_fold_hours GROUP" in sql]
    from_facts = [sql for sql in sqls if "::date AS day, b.queue_id" in sql]
    assert from_hours and from_facts
    assert all("Europe/Paris" in sql for sql in from_hours)
    assert all("Asia/Kolkata" in sql for sql in from_facts)

    columns = fold.measures.all_columns()
    picked = f"SELECT day, queue_id, dim, value, {', '.join(columns)} FROM "  # noqa: S608
    weekly = ("SELECT date_trunc('week', day)::date, queue_id, dim, value, "  # noqa: S608
              f"{', '.join(fold.summed(columns))} FROM pg_temp.analytics_fold_days "
              "GROUP BY 1, 2, 3, 4")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.analytics_fold_batch")
        cursor.execute("CREATE TEMP TABLE analytics_fold_batch AS SELECT * FROM analytics_fact")
        for zone in zones:  # the days and weeks aggregated from every fact at once
            cursor.execute(fold._ZONE_DROP_SQL)
            cursor.execute(fold.DAYS_FROM_FACTS_SQL.replace(" ON COMMIT DROP", ""),
                           {"zone": zone})  # fmt: skip
            days = _rows(cursor, picked + "pg_temp.analytics_fold_days", [])
            by_week = _rows(cursor, weekly, [])
            assert len(days) > 20 and len(by_week) > 10
            kept = _rows(cursor, picked + "analytics_dailyrollup WHERE zone = %s", [zone])
            assert kept == days
            kept = _rows(cursor, picked + "analytics_weeklyrollup WHERE zone = %s", [zone])
            assert kept == by_week
