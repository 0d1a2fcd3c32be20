"""Each metric of the dictionary on hand-worked tickets: facts from the real services,
folded into the rollups, read back through the selectors (docs/metrics.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from analytics import metrics, selectors
from analytics.fold import fold_all
from analytics.selectors import Period, Slice
from tests.analytics.conftest import T0
from tests.tickets import factories as tf
from tickets import services

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def at(delta: timedelta):  # type: ignore[no-untyped-def]
    return time_machine.travel(T0 + delta, tick=False)


def read(user, *, days: int = 1, slice_: Slice | None = None, tz: str = "UTC"):  # type: ignore[no-untyped-def]
    fold_all()
    period = Period.last_days(days, tz=tz, now=T0 + timedelta(hours=10))
    return selectors.totals(selectors.metric_scope(user), period, slice_ or Slice(),
                            histograms=("first_reply", "first_reply_business", "resolution",
                                        "wait"))  # fmt: skip


def test_created_solved_reopened_and_the_per_solve_measures(floor):
    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    admin = floor["people"]["admin"]
    with at(timedelta()):
        a = tf.ticket(queue)
        b = tf.ticket(queue)
        tf.ticket(queue)
    with at(timedelta(minutes=30)):
        services.ticket_reply(actor=agent, ticket=a, body="One answer.")
    with at(HOUR):
        services.ticket_change_status(actor=agent, ticket=a, status="solved")
    with at(timedelta(minutes=20)):
        services.ticket_reply(actor=agent, ticket=b, body="First.")
    with at(timedelta(minutes=50)):
        services.ticket_reply(actor=agent, ticket=b, body="Second.")
    with at(2 * HOUR):
        services.ticket_change_status(actor=agent, ticket=b, status="solved")
    with at(3 * HOUR):  # b reopens within seven days, is solved again an hour later
        services.ticket_requester_reply(ticket=b, body="Still broken.")
    with at(4 * HOUR):
        services.ticket_change_status(actor=agent, ticket=b, status="solved")
    t = read(admin)
    assert t["created"] == 3
    assert t["solved"] == 3  # every solve
    assert t["reopened"] == 1
    assert metrics.solved_last(t) == 2  # a, and b's last solve
    assert metrics.reopen_rate(t) == pytest.approx(1 / 3)
    assert metrics.one_touch_rate(t) == pytest.approx(1 / 2)  # a: one reply; b: two
    assert metrics.replies_per_solved(t) == pytest.approx(3 / 2)
    first = metrics.duration(t, "first_reply")  # 30 min and 20 min
    assert first.n == 2
    assert first.mean == pytest.approx(25 * 60)
    # The median of two durations falls between them (the histogram reads it at the end
    # of the lower one's bucket).
    assert 20 * 60 * 0.94 <= first.median <= 30 * 60
    resolution = metrics.duration(t, "resolution")  # a: 1 h; b: 4 h (its last solve)
    assert resolution.n == 2
    assert resolution.mean == pytest.approx(2.5 * 3600)


def test_requester_wait_counts_only_time_waiting_on_us(floor):
    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    with at(timedelta()):
        ticket = tf.ticket(queue)  # new: waiting on us
    with at(HOUR):
        services.ticket_reply(actor=agent, ticket=ticket, body="Can you send a screenshot?",
                              status="pending")  # fmt: skip
    with at(5 * HOUR):  # four hours waiting on them
        services.ticket_requester_reply(ticket=ticket, body="Here it is.")
    with at(6 * HOUR):
        services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
    wait = metrics.duration(read(floor["people"]["admin"]), "wait")
    assert wait.mean == pytest.approx(2 * 3600)  # 0-1 h and 5-6 h


def test_an_agent_created_ticket_counts_its_first_reply_from_the_second_agent_message(floor):
    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    with at(timedelta()):
        ticket = services.ticket_create(actor=agent, requester=tf.requester(), queue=queue,
                                        subject="Called in", body="From a call.")  # fmt: skip
    with at(timedelta(minutes=45)):
        services.ticket_reply(actor=agent, ticket=ticket, body="Following up by email.")
    with at(timedelta(minutes=50)):
        services.ticket_reply(actor=agent, ticket=ticket, body="Note.", internal=True)
    first = metrics.duration(read(floor["people"]["admin"]), "first_reply")
    assert (first.n, first.mean) == (1, pytest.approx(45 * 60))


def test_first_reply_in_business_time_uses_the_policys_calendar(desk):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(name="Office", queues=[queue], calendar_=tf.calendar(office_hours=True))
    agent = desk["people"]["inhouse_agent"]
    with at(timedelta(hours=-12)):  # Sunday 21:00: closed until Monday 09:00
        ticket = tf.ticket(queue)
    with at(timedelta(minutes=30)):  # Monday 09:30
        services.ticket_reply(actor=agent, ticket=ticket, body="Morning!")
    t = read(desk["people"]["admin"], days=2)
    assert metrics.duration(t, "first_reply").mean == pytest.approx(12.5 * 3600)
    assert metrics.duration(t, "first_reply_business").mean == pytest.approx(30 * 60)


def test_sla_attainment_is_met_over_met_and_breached(floor):
    from tickets.sla.services import sla_sweep

    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    with at(timedelta()):
        fast, slow, late = tf.ticket(queue), tf.ticket(queue), tf.ticket(queue)
    with at(timedelta(minutes=10)):
        services.ticket_reply(actor=agent, ticket=fast, body="Quick.")
    with at(timedelta(minutes=61)):
        sla_sweep()  # slow's first reply breaches (announced by the sweep)
    with at(timedelta(minutes=70)):
        services.ticket_reply(actor=agent, ticket=slow, body="Late.")
    with at(timedelta(minutes=70)):
        services.ticket_reply(actor=agent, ticket=late, body="Late too, unswept.")
    t = read(floor["people"]["admin"])
    assert t["sla_met_first_reply"] == 1
    assert t["sla_breached_first_reply"] == 2  # once each, swept or not
    assert metrics.sla_attainment(t, "first_reply") == pytest.approx(1 / 3)
    assert metrics.breaches(t) == 2


def test_backlog_by_age_follows_solves_reopens_and_moves(floor):
    inhouse, north = floor["queues"]["inhouse"], floor["queues"]["north"]
    admin = floor["people"]["admin"]
    with at(timedelta(days=-10)):
        old = tf.ticket(inhouse)
    with at(timedelta(days=-2)):
        mid = tf.ticket(inhouse)
    with at(timedelta(hours=-3)):
        young = tf.ticket(inhouse)
        gone = tf.ticket(inhouse)
    with at(timedelta(hours=-2)):
        services.ticket_change_status(actor=admin, ticket=gone, status="solved")
        services.ticket_move_queue(actor=admin, ticket=young, queue=north)
    fold_all()
    scope = selectors.metric_scope(admin)
    backlog = selectors.backlog(scope, now=T0)
    assert backlog == {"lt1h": 0, "1to8h": 1, "8to24h": 0, "1to3d": 1, "3to7d": 0, "gt7d": 1}
    in_north = selectors.backlog(scope, now=T0, slice_=Slice(queue_id=north.pk))
    assert sum(in_north.values()) == 1  # young moved there
    with at(timedelta(hours=-1)):
        services.ticket_requester_reply(ticket=gone, body="Not fixed.")
    fold_all()
    assert sum(selectors.backlog(scope, now=T0).values()) == 4
    assert old and mid


def test_escalation_rate_and_incident_share(floor):
    from escalations import services as esc
    from escalations.models import EscalationReason

    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    admin = floor["people"]["admin"]
    reason = EscalationReason.objects.create(name="Legal", target_team=floor["teams"]["inhouse"],
                                             severity=3)  # fmt: skip
    with at(timedelta()):
        tickets = [tf.ticket(queue) for _n in range(4)]
        esc.escalation_raise(actor=agent, ticket=tickets[0], reason=reason, severity=3,
                             summary="Needs legal")  # fmt: skip
        incident = esc.incident_open(actor=admin, title="Login outage", severity=2)
        esc.incident_add_tickets(actor=admin, incident=incident, tickets=tickets[1:3])
    t = read(admin)
    assert metrics.escalation_rate(t) == pytest.approx(1 / 4)
    assert metrics.incident_share(t) == pytest.approx(2 / 4)


def test_slices_count_each_ticket_under_its_language_tag_and_agent(floor):
    queue, agent = floor["queues"]["inhouse"], floor["people"]["inhouse_agent"]
    admin = floor["people"]["admin"]
    with at(timedelta()):
        es = tf.ticket(queue, language="es", tags=["refund", "payments"])
        tf.ticket(queue, language="en", tags=["refund"])
    with at(timedelta(minutes=5)):
        services.ticket_reply(actor=agent, ticket=es, body="Hola.")
    assert read(admin, slice_=Slice(dim="language", value="es"))["created"] == 1
    assert read(admin, slice_=Slice(dim="tag", value="refund"))["created"] == 2
    by_agent = read(admin, slice_=Slice(dim="agent", value=str(agent.pk)))
    assert by_agent["replies"] == 1
    team = read(admin, slice_=Slice(dim="team", value=str(floor["teams"]["inhouse"].pk)))
    assert team["replies"] == 1  # the agent's team at the time


def test_a_vendor_lead_reads_only_their_vendors_queues(floor):
    with at(timedelta()):
        tf.ticket(floor["queues"]["inhouse"])
        tf.ticket(floor["queues"]["north"])
        tf.ticket(floor["queues"]["atlas"])
    assert read(floor["people"]["north_lead"])["created"] == 1
    assert read(floor["people"]["admin"])["created"] == 3
    assert read(floor["people"]["north_agent"])["created"] == 0  # agents have no dashboard


def test_a_day_in_the_viewers_time_zone_reads_the_same_from_hours_and_days(floor, settings):
    settings.ANALYTICS_DAY_ZONES = ["UTC", "Asia/Tokyo", "America/New_York"]
    queue = floor["queues"]["inhouse"]
    admin = floor["people"]["admin"]
    for hours in (-20, -10, -2, 1, 5, 20):
        with at(timedelta(hours=hours)):
            tf.ticket(queue)
    fold_all()
    scope = selectors.metric_scope(admin)
    for tz in ("UTC", "Asia/Tokyo", "America/New_York"):
        period = Period.last_days(3, tz=tz, now=T0 + timedelta(hours=22))
        assert period.uses_days()
        hourly = Period(start=period.start, end=period.end, tz=tz, bucket="hour")
        assert not hourly.uses_days()
        assert (
            selectors.totals(scope, period)["created"] == selectors.totals(scope, hourly)["created"]
        )
        by_day = [t["created"] for _d, t in selectors.series(scope, period)]
        by_hour = selectors.series(scope, hourly)
        assert sum(by_day) == sum(t["created"] for _h, t in by_hour) == 6


def test_whole_weeks_read_from_weekly_rows_the_same_as_from_their_days(
        floor, settings, monkeypatch):  # fmt: skip
    """A long range reads its whole weeks from the weekly rollups and the days either side
    from the daily ones: the same numbers, histograms and weekly series as from days
    alone; and a week's row holds exactly the sum of its days."""
    from zoneinfo import ZoneInfo

    from django.db import connection

    settings.ANALYTICS_DAY_ZONES = ["UTC", "America/New_York"]
    queue = floor["queues"]["inhouse"]
    admin, agent = floor["people"]["admin"], floor["people"]["inhouse_agent"]
    for day in range(0, 40, 3):
        for hour in (1, 13, 23):
            with at(-timedelta(days=day, hours=hour)):
                ticket = tf.ticket(queue, language="es" if hour == 13 else "en")
            with at(-timedelta(days=day, hours=hour) + timedelta(minutes=20 * (day + 1))):
                services.ticket_reply(actor=agent, ticket=ticket, body="Looking")
                if hour != 23:
                    services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
    for hours in (9, 10):  # either side of today's UTC midnight (T0 is 09:00 UTC)
        with at(-timedelta(hours=hours)):
            tf.ticket(queue)
    fold_all()
    scope = selectors.metric_scope(admin)
    kinds = ("first_reply", "resolution")
    for tz in ("UTC", "America/New_York"):
        period = Period.last_days(45, tz=tz, now=T0, bucket="week")
        assert period.whole_weeks() is not None
        by_weeks = (
            selectors.totals(scope, period, histograms=kinds),
            selectors.breakdown(scope, period, "language", by_queue=True, histograms=kinds),
            selectors.series(scope, period, histograms=kinds),
        )
        with monkeypatch.context() as patch:
            patch.setattr(selectors, "MIN_WEEKS", 1000)
            assert period.whole_weeks() is None
            by_days = (
                selectors.totals(scope, period, histograms=kinds),
                selectors.breakdown(scope, period, "language", by_queue=True, histograms=kinds),
                selectors.series(scope, period, histograms=kinds),
            )
        assert by_weeks == by_days
        assert by_weeks[0]["created"] == 44 and by_weeks[0].hists["first_reply"]
    # A zone whose days are not kept sums UTC's whole days and weeks inside the range, and
    # hours only either side: the same as all from hours. By local week, a day a week
    # begins in is read whole and its hours on one side (the tail in India, where the week
    # begins Sunday 18:30 UTC; the head in Chicago, Monday 06:00 UTC) taken back from it.
    for tz, side in (("Asia/Kolkata", "tail"), ("America/Chicago", "head")):
        period = Period.last_days(45, tz=tz, now=T0, bucket="week")
        assert not period.uses_days() and selectors._utc_days(period) is not None
        mixed = (
            selectors.totals(scope, period, histograms=kinds),
            selectors.breakdown(scope, period, "language", by_queue=True, histograms=kinds),
        )
        by_week = selectors.series(scope, period, histograms=kinds)
        with monkeypatch.context() as patch:
            patch.setattr(selectors, "_utc_days", lambda _period: None)
            hourly = (selectors.totals(scope, period, histograms=kinds),
                      selectors.breakdown(scope, period, "language", by_queue=True,
                                          histograms=kinds))  # fmt: skip
            by_week_from_hours = selectors.series(scope, period, histograms=kinds)
        assert mixed == hourly and mixed[0]["created"] == 44
        split = selectors._split_days(selectors._utc_days(period), ZoneInfo(tz))
        assert split and all((day.weekday() == 0) == (side == "head") for day, _first in split)
        assert by_week == by_week_from_hours
        assert sum(totals["created"] for _week, totals in by_week) == 44
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM analytics_weeklyrollup AS w FULL JOIN (
                SELECT zone, date_trunc('week', day)::date AS day, queue_id, dim, value,
                       sum(created) AS created, sum(first_reply_n) AS n,
                       analytics_hist_sum(first_reply_hist) AS hist
                  FROM analytics_dailyrollup GROUP BY 1, 2, 3, 4, 5) AS d
              ON (w.zone, w.day, w.dim, w.value) = (d.zone, d.day, d.dim, d.value)
             AND w.queue_id IS NOT DISTINCT FROM d.queue_id
             WHERE w.id IS NULL OR d.zone IS NULL OR w.created <> d.created
                OR w.first_reply_n <> d.n OR w.first_reply_hist IS DISTINCT FROM d.hist
        """)  # fmt: skip
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM analytics_weeklyrollup")
        assert cursor.fetchone()[0] > 0
