#!/usr/bin/env python
"""SLA benchmark: seeds (or reuses) N tickets with real SLA clocks in its own database and
prints the sweep's cost, the lag from due time to breach with a real worker and beat,
the time to flag 10,000 breaches falling due in one minute, the time to recompute every
open ticket's due times after a calendar change, and webhook deliveries per second.

    .venv/bin/python bench/sla.py --tickets 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on the path, and its queue.py would shadow
# the standard library's queue module (which psycopg imports).
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.chaos import PROCESS_ENV, run  # noqa: E402
from bench.common import (  # noqa: E402
    bench_env,
    celery,
    celery_process,
    ensure_database,
    manage,
    percentiles,
)


def say(line: str) -> None:
    print(line, flush=True)


def _make_due(cursor, count: int, start_sql: str, spread_seconds: float) -> list[int]:  # type: ignore[no-untyped-def]
    """Pick ``count`` running clocks that have not breached and make them fall due between
    start and start + spread (their warnings counted as already fired)."""
    cursor.execute(
        f"""
        WITH picked AS (
            SELECT id, row_number() OVER () AS n FROM tickets_slaclock
             WHERE state = 'running' AND breached_at IS NULL AND due_at IS NOT NULL
             LIMIT %s
        )
        UPDATE tickets_slaclock c
           SET due_at = {start_sql} + (picked.n * %s / %s) * interval '1 second',
               warn_at = {start_sql} - interval '1 hour', warned_at = now() - interval '1 hour',
               next_check_at = {start_sql} + (picked.n * %s / %s) * interval '1 second'
          FROM picked WHERE c.id = picked.id
        RETURNING c.id
        """,  # start_sql is one of two literals below
        [count, spread_seconds, count, spread_seconds, count],
    )
    return [row[0] for row in cursor.fetchall()]


def _lag(cursor, ids: list[int]) -> tuple[int, dict[str, float]]:  # type: ignore[no-untyped-def]
    cursor.execute(
        "SELECT EXTRACT(EPOCH FROM breached_at - due_at) FROM tickets_slaclock "
        "WHERE id = ANY(%s) AND breached_at IS NOT NULL",
        [ids],
    )
    lags = [float(row[0]) * 1000 for row in cursor.fetchall()]  # percentiles() takes ms
    return len(lags), percentiles(lags) if lags else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--parts", default="sweep,worker,recompute,deliveries",
                        help="which measurements to run (comma-separated)")  # fmt: skip
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    database = f"helpdesk_bench_sla_{args.tickets}"
    ensure_database(database)
    env = bench_env(database, EMAIL_URL="dummymail://", **PROCESS_ENV)
    manage(env, "migrate", "--noinput")
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from tickets import services
    from tickets.models import BusinessCalendar, BusinessHours, SLAClock, Ticket

    if not Ticket.objects.exists():
        say(f"seeding {args.tickets} tickets (once per database)…")
        started = time.monotonic()
        manage(env, "seed_demo", "--tickets", str(args.tickets), "--open-share",
               str(args.open_share), "--seed", "7", "--quiet-logins")  # fmt: skip
        say(f"  seeded in {time.monotonic() - started:.0f} s")
    active = Ticket.objects.filter(status__in=["new", "open", "pending", "on_hold"]).count()
    live = SLAClock.objects.filter(state__in=["running", "paused"]).count()
    say(f"tickets: {Ticket.objects.count()}, active: {active}, live SLA clocks: {live}\n")

    # Catch up whatever fell due since the last run, so "nothing due" is true.
    services.sla_sweep(budget_seconds=600)

    if "sweep" in parts:
        measure_sweep(services, connection)
    if "worker" in parts:
        measure_with_worker(env, args, services, connection, SLAClock)
    if "recompute" in parts:
        measure_recompute(services, BusinessCalendar, BusinessHours, SLAClock)
    if "deliveries" in parts:
        measure_deliveries(env, args)


def measure_sweep(services, connection) -> None:  # type: ignore[no-untyped-def]
    say("## Sweep (in process, no worker)")
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        services.sla_sweep()
        timings.append((time.perf_counter() - started) * 1000)
    stats = percentiles(timings)
    say(f"nothing due                      p50 {stats['p50']:.1f} ms, max {stats['max']:.1f} ms")
    with connection.cursor() as cursor:
        _make_due(cursor, 1000, "now() - interval '2 seconds'", 1)
    started = time.perf_counter()
    result = services.sla_sweep(budget_seconds=600)
    say(f"1,000 due (breach actions)       {(time.perf_counter() - started) * 1000:.0f} ms "
        f"({result.breaches} breaches fired)")  # fmt: skip


def measure_with_worker(env, args, services, connection, SLAClock) -> None:  # type: ignore[no-untyped-def]
    say("\n## With a real worker and beat (sweep every 10 s)")
    with celery(env, args.concurrency):
        services.sla_sweep(budget_seconds=600)
        with connection.cursor() as cursor:
            spread = _make_due(cursor, 2000, "now() + interval '5 seconds'", 60)
        say("2,000 clocks falling due over the next minute; waiting 100 s…")
        time.sleep(100)
        with connection.cursor() as cursor:
            fired, lag = _lag(cursor, spread)
        say(f"due → breach lag ({fired} fired)   p50 {lag['p50'] / 1000:.1f} s, "
            f"p99 {lag['p99'] / 1000:.1f} s, max {lag['max'] / 1000:.1f} s")  # fmt: skip

        with connection.cursor() as cursor:
            burst = _make_due(cursor, 10_000, "date_trunc('minute', now()) + interval '2 minutes'",
                              59.999)  # fmt: skip
            cursor.execute("SELECT date_trunc('minute', now()) + interval '3 minutes' - now()")
            wait = cursor.fetchone()[0].total_seconds()
        say(f"10,000 clocks falling due within one minute (the last in {wait:.0f} s)…")
        time.sleep(max(0.0, wait))
        last_due = time.monotonic()
        flagged = 0
        while time.monotonic() - last_due < 300:
            flagged = SLAClock.objects.filter(pk__in=burst, breached_at__isnull=False).count()
            if flagged == len(burst):
                break
            time.sleep(1)
        done = time.monotonic() - last_due
        with connection.cursor() as cursor:
            _fired, lag = _lag(cursor, burst)
        say(f"10,000 in one minute             all flagged {done:.1f} s after the last fell "
            f"due ({flagged} flagged); lag p99 {lag['p99'] / 1000:.1f} s, "
            f"max {lag['max'] / 1000:.1f} s")  # fmt: skip


def measure_recompute(services, BusinessCalendar, BusinessHours, SLAClock) -> None:  # type: ignore[no-untyped-def]
    say("\n## Calendar change (in process, as the recompute task runs it)")
    calendar = BusinessCalendar.objects.get(name="Around the clock")
    # Every policy, so every open ticket's clocks are recomputed (those on the other
    # calendar come out unchanged, but cost the same to work out).
    from tickets.models import SLAPolicy

    policy_ids = list(SLAPolicy.objects.values_list("pk", flat=True))
    live = SLAClock.objects.filter(policy_id__in=policy_ids, state__in=["running", "paused"])
    tickets = live.values("ticket_id").distinct().count()
    say(f"live clocks {live.count()} on {tickets} tickets")
    BusinessCalendar.objects.filter(pk=calendar.pk).update(always_open=False,
                                                            updated_at=django_now())  # fmt: skip
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, opens="09:00", closes="18:00")
        for day in range(5)
    )
    started = time.monotonic()
    moved = services.sla_recompute(policy_ids=policy_ids, reason="bench: office hours")
    say(f"24/7 → Mon–Fri 09–18            {time.monotonic() - started:.1f} s "
        f"({moved} tickets' clocks moved)")  # fmt: skip
    BusinessHours.objects.filter(calendar=calendar).delete()
    BusinessCalendar.objects.filter(pk=calendar.pk).update(always_open=True,
                                                            updated_at=django_now())  # fmt: skip
    started = time.monotonic()
    moved = services.sla_recompute(policy_ids=policy_ids, reason="bench: back to 24/7")
    say(f"and back to 24/7                 {time.monotonic() - started:.1f} s "
        f"({moved} tickets' clocks moved)")  # fmt: skip


def measure_deliveries(env, args) -> None:  # type: ignore[no-untyped-def]
    say(f"\n## Webhook deliveries ({args.deliveries}, worker concurrency {args.concurrency})")
    from django.conf import settings

    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    report = run(
        count=args.deliveries,
        start_worker=lambda: celery_process(env, "worker", concurrency=args.concurrency,
                                            name="bench-hooks"),
        start_beat=lambda: celery_process(env, "beat", name="bench-hooks"),
        kill_every=1e9, restart_redis=False,
    )  # fmt: skip
    say(
        f"delivered {report.delivered} in {report.seconds:.1f} s (worker start included): "
        f"{report.delivered / report.seconds:.0f} notifications/s; lost {report.missing}"
    )


def django_now():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


if __name__ == "__main__":
    main()
