"""The daily check of the weekly rollups against their days (``analytics.fold.check_weeks``):
a week folded without its days' facts (a worker left running code from before the weekly
rollups) is rebuilt from the days, and weeks that agree are left as they are."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection

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
