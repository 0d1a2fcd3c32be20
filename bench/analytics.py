#!/usr/bin/env python
"""Analytics benchmark: seeds (or reuses) N tickets in its own database, rebuilds the facts
and rollups with ``analytics_backfill`` (timed), then prints:

- dashboard reads (the selectors a dashboard page runs: tiles, a chart series, the queue ×
  language table, the backlog) over 30 and 365 days, for random slices, p50/p95 and the
  statement count; and the dashboard page over HTTP when ``--http`` (gunicorn);
- what keeping facts adds to a ticket write: the services timed with analytics' handlers
  connected and disconnected, in one process, interleaved;
- freshness: a ticket created through the services, then the time until the rollups the
  dashboard reads show it, with a worker and beat as in production (fold every 10 s).

    .venv/bin/python bench/analytics.py --tickets 100000
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py is named like the standard library's `queue`, which psycopg imports:
# take this folder off the path before anything does.
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import random
import statistics
import time

from bench.common import (
    Session,
    bench_env,
    celery,
    ensure_database,
    gunicorn,
    manage,
    measure,
    percentiles,
    row,
)

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password


def seed(env: dict[str, str], tickets: int) -> None:
    ensure_database(env["EMBEDDED_DATABASE_NAME"])
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    count = "from tickets.models import Ticket; print(Ticket.objects.count())"
    have = int(manage(env, "shell", "--no-imports", "-c", count).split()[-1])
    if have < tickets:
        started = time.monotonic()
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(tickets - have),
               "--seed", "1")  # fmt: skip
        print(f"seeded {tickets - have:,} tickets in {time.monotonic() - started:,.0f} s")


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def bench_reads(samples: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from analytics import metrics, selectors
    from analytics.selectors import Period, Slice
    from tickets.models import Queue

    admin = User.objects.filter(role="admin").first()
    lead = User.objects.filter(role="lead", team__vendor__isnull=False).first()
    languages = ["en", "es", "ar", "pt", "ja", "fr"]
    queue_ids = list(Queue.objects.values_list("pk", flat=True))
    rng = random.Random(7)
    now = timezone.now()

    def page(user, days: int, tz: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
        scope = selectors.metric_scope(user)
        bucket = "week" if days > 90 else "day"
        period = Period.last_days(days, tz=tz, now=now, bucket=bucket)
        choice = rng.choice(["", "language", "queue", "category", "priority"])
        slice_ = (Slice() if choice == "" else
                  Slice(queue_id=rng.choice(queue_ids)) if choice == "queue" else
                  Slice(dim=choice, value=rng.choice(languages) if choice == "language"
                        else rng.choice(["account", "billing", "safety", "3"])))  # fmt: skip
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            selectors.totals(scope, period, slice_)
            selectors.series(scope, period, slice_)
            selectors.breakdown(scope, period, "language", by_queue=True)
            selectors.backlog(scope, now=now, slice_=slice_)
        return (time.perf_counter() - started) * 1000, len(queries.captured_queries)

    for label, user in (("admin", admin), ("vendor lead", lead)):
        if user is None:
            continue
        for days in (30, 365):
            for tz in ("UTC", "Asia/Kolkata"):
                timings, counts = [], set()
                for _n in range(3):
                    page(user, days, tz)
                for _n in range(samples):
                    ms, count = page(user, days, tz)
                    timings.append(ms)
                    counts.add(count)
                stats = percentiles(timings)
                stats["errors"] = 0
                kind = (
                    "weeks and days"
                    if Period.last_days(days, tz=tz, now=now).uses_days()
                    else "UTC days and hours"
                )
                print(row(f"{label} {days} d {tz} ({kind})", stats), f"statements={sorted(counts)}")
    assert metrics  # imported for its side of the story: the definitions read above


def bench_write_cost(rounds: int) -> None:
    from django.db import transaction

    from accounts.models import User
    from analytics import handlers
    from tickets import hooks, services
    from tickets.models import Queue

    queue = Queue.objects.filter(is_active=True).order_by("pk").first()
    agent = User.objects.filter(role="admin").first()
    connected = [(hooks.ticket_created, handlers.on_ticket_created),
                 (hooks.message_added, handlers.on_message_added),
                 (hooks.status_changed, handlers.on_status_changed),
                 (hooks.sla_stopped, handlers.on_sla_stopped)]  # fmt: skip

    def one() -> float:
        started = time.perf_counter()
        with transaction.atomic():
            email = "bench.analytics@example.net"
            requester = services.requester_get_or_create(actor=agent, email=email)
            ticket = services.ticket_create(actor=None, requester=requester, queue=queue,
                                            subject="Bench", body="Bench body")  # fmt: skip
            services.ticket_reply(actor=agent, ticket=ticket, body="Reply")
            services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
            transaction.set_rollback(True)
        return (time.perf_counter() - started) * 1000

    with_facts, without = [], []
    for _n in range(10):
        one()
    for n in range(rounds):
        on = n % 2 == 0
        for hook, handler in connected:
            (hook.connect if on else hook.disconnect)(handler)
        (with_facts if on else without).append(one())
    for hook, handler in connected:
        hook.connect(handler)
    a, b = statistics.median(with_facts), statistics.median(without)
    print(
        f"create + reply + solve (3 writes), median of {rounds // 2} each: "
        f"with facts {a:.2f} ms, without {b:.2f} ms, +{a - b:.2f} ms (+{(a - b) / 3:.2f} ms "
        "a write)"
    )


def bench_freshness(env: dict[str, str], rounds: int) -> None:
    from django.utils import timezone

    from accounts.models import User
    from analytics import selectors
    from analytics.selectors import Period
    from tickets import services
    from tickets.models import Queue

    queue = Queue.objects.filter(is_active=True).order_by("pk").first()
    admin = User.objects.filter(role="admin").first()
    scope = selectors.metric_scope(admin)
    delays = []
    with celery(env):
        for _n in range(rounds):
            period = Period.last_days(1, tz="UTC", now=timezone.now(), bucket="hour")
            before = selectors.totals(scope, period)["created"]
            requester = services.requester_get_or_create(actor=admin,
                                                         email="fresh@example.net")  # fmt: skip
            services.ticket_create(actor=None, requester=requester, queue=queue, subject="Fresh",
                                   body="Shown yet?")  # fmt: skip
            committed = time.monotonic()
            while selectors.totals(scope, period)["created"] <= before:
                time.sleep(0.2)
                if time.monotonic() - committed > 120:
                    break
            delays.append(time.monotonic() - committed)
            time.sleep(random.uniform(0, 3))
    stats = percentiles([d * 1000 for d in delays])
    print(
        f"commit → on the dashboard: p50 {stats['p50'] / 1000:.1f} s, "
        f"max {stats['max'] / 1000:.1f} s over {rounds} tickets"
    )


def bench_http(env: dict[str, str], samples: int) -> None:
    port = 8731
    with gunicorn(env, port):
        session = Session(f"127.0.0.1:{port}")
        session.sign_in("lead@example.com", PASSWORD)
        for days in (30, 365):
            stats = measure(lambda days=days: session.timed("GET", f"/analytics/?range={days}"),
                            samples)  # fmt: skip
            print(row(f"GET /analytics/?range={days}", stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--http", action="store_true", help="also time the page over HTTP")
    args = parser.parse_args()
    # Days are kept in UTC and in the zone of the lead the HTTP bench signs in as
    # (Europe/Paris), as a deployment keeps its leads' zones; Asia/Kolkata stays a zone
    # read from hourly rows.
    env = bench_env(f"helpdesk_bench_analytics_{args.tickets}",
                    ANALYTICS_DAY_ZONES="UTC,Europe/Paris")  # fmt: skip
    seed(env, args.tickets)
    if not args.skip_backfill:
        started = time.monotonic()
        manage(env, "analytics_backfill", "--fresh")
        print(f"analytics_backfill --fresh: {time.monotonic() - started:,.0f} s")
    setup_django(env)
    from django.db import connection

    with connection.cursor() as cursor:
        for label, table in (("tickets", "tickets_ticket"), ("events", "tickets_event"),
                             ("facts", "analytics_fact"), ("hourly rows", "analytics_hourlyrollup"),
                             ("daily rows", "analytics_dailyrollup"),
                             ("weekly rows", "analytics_weeklyrollup")):  # fmt: skip
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"{label}: {cursor.fetchone()[0]:,}")
    bench_reads(args.samples)
    bench_write_cost(400)
    bench_freshness(env, 10)
    if args.http:
        bench_http(env, args.samples)


if __name__ == "__main__":
    main()
