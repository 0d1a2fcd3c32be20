#!/usr/bin/env python
"""Queue benchmark: seeds (or reuses) N tickets in its own database, starts gunicorn, signs in
and prints latency percentiles for the agent's main pages, "next ticket" under concurrency,
a mixed load at a fixed rate, search freshness and disk size.

    .venv/bin/python bench/queue.py --tickets 100000
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `queue` module, which psycopg
# and http.client import; take its folder off the path before anything does.
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import random
import re
import secrets
import threading
import time
from collections import defaultdict

from bench.common import (
    CpuSampler,
    Session,
    bench_env,
    celery,
    cpu_seconds_by_process,
    ensure_database,
    gunicorn,
    manage,
    measure,
    percentiles,
    row,
    sql,
)

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
SETUP_AGENTS = """
from accounts import services
from accounts.models import Role, Team, User
from tickets.models import Queue, Ticket
team = Team.objects.get(slug="trust-safety")
# Hand back what earlier runs' "next ticket" presses claimed, so every run claims from
# the same pool (a bench fixture, not an agent's action: no audit trail wanted).
Ticket.objects.filter(assignee__email__startswith="bench.agent").update(assignee=None)
# Close what the auto-close would have closed by now, as seed_demo does when it seeds:
# a database seeded days ago otherwise makes every run drain that backlog (Celery beat's
# close_quiet_solved_tickets) while it measures.
from datetime import timedelta
from django.conf import settings
from django.db.models import F
from django.utils import timezone
quiet = timedelta(hours=settings.TICKET_AUTO_CLOSE_HOURS)
Ticket.objects.filter(status="solved", solved_at__lt=timezone.now() - quiet).update(
    status="closed", closed_at=F("solved_at") + quiet)
for queue in Queue.objects.all():
    queue.teams.add(team)
for n in range({agents}):
    email = f"bench.agent{{n}}@example.com"
    if not User.objects.filter(email=email).exists():
        services.user_create(actor=None, email=email, full_name=f"Bench Agent {{n}}", team=team,
                             role=Role.AGENT, languages=["en", "es", "pt", "fr", "de", "ar", "ja",
                             "ru"], password="{password}")
"""


class _Printer(list):
    """Collects the figures and prints each as soon as it is measured."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="mixed load, requests/second")
    parser.add_argument("--duration", type=float, default=30.0, help="mixed load, seconds")
    parser.add_argument("--agents", type=int, default=8, help="concurrent 'next ticket' agents")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--database", default="", help="default: helpdesk_bench_<tickets>")
    parser.add_argument("--clients", type=int, default=8, help="queue page, closed loop")
    parser.add_argument("--clients-seconds", type=float, default=20.0)
    parser.add_argument(
        "--counts-only",
        action="store_true",
        help="only the queue counts' figures: refresh cost, idle CPU, queue page at --clients",
    )
    parser.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="gunicorn worker class (sync, as the Procfile and Dockerfile run it)",
    )
    args = parser.parse_args()

    database = args.database or f"helpdesk_bench_{args.tickets}"
    env = bench_env(database)
    ensure_database(database)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        started = time.monotonic()
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.tickets - have),
               "--open-share", str(args.open_share), "--seed", "1")  # fmt: skip
        print(f"seeded {args.tickets - have} tickets in {time.monotonic() - started:.0f}s")
    manage(env, "shell", "-c", SETUP_AGENTS.format(agents=args.agents, password=PASSWORD))
    total, active = sql(env, "SELECT count(*), count(*) FILTER (WHERE status IN "
                             "('new','open','pending','on_hold')) FROM tickets_ticket")[0]  # fmt: skip
    messages = sql(env, "SELECT count(*) FROM tickets_message")[0][0]
    size = sql(env, "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))), "
                    "sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON "
                    "n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND "
                    "c.relname LIKE 'tickets_%'")[0]  # fmt: skip
    refs = [
        r[0] for r in sql(env, "SELECT reference FROM tickets_ticket ORDER BY random() LIMIT 100")
    ]
    print(f"\n== {total:,} tickets ({active:,} active), {messages:,} messages; "
          f"tickets_* tables with indexes: {size[0]}")  # fmt: skip

    if args.worker_class == "sync" and args.threads > 1:
        raise SystemExit("--threads above 1 needs --worker-class gthread")
    print(f"gunicorn: {args.workers} {args.worker_class} workers x {args.threads} threads")
    with (
        celery(env),
        gunicorn(
            env,
            args.port,
            workers=args.workers,
            threads=args.threads,
            worker_class=args.worker_class,
        ) as host,
    ):
        counts_figures(env, host, args)
        if args.counts_only:
            return
        lead = Session(host)
        lead.sign_in("bench.agent0@example.com", PASSWORD)
        results = _Printer()

        def page(path):  # type: ignore[no-untyped-def]
            return lambda: lead.timed("GET", path)

        results.append(
            row("queue: first page (all active)", measure(page("/tickets/?view=all"), args.samples))
        )
        # Walk to page 200 (or the last page) with the keyset cursor.
        path, pages = "/tickets/?view=all", 1
        while pages < 200:
            _, _, html = lead.timed("GET", path)
            found = re.search(r'data-testid="next-page" href="([^"]+)"', html)
            if not found:
                break
            path = "/tickets/" + found.group(1).replace("&amp;", "&")
            pages += 1
        results.append(row(f"queue: page {pages} (keyset)", measure(page(path), args.samples)))
        results.append(
            row(
                "queue: filtered (es, open)",
                measure(page("/tickets/?view=all&language=es&status=open"), args.samples),
            )
        )
        results.append(
            row("queue: my open tickets", measure(page("/tickets/?view=mine"), args.samples))
        )
        results.append(
            row("sidebar counts (one query)", measure(page("/tickets/counts/"), args.samples))
        )
        ref_cycle = iter(refs * (args.samples // len(refs) + 2))
        results.append(
            row(
                "ticket page",
                measure(lambda: lead.timed("GET", f"/tickets/{next(ref_cycle)}/"), args.samples),
            )
        )
        results.append(
            row(
                "search: common word (refund)",
                measure(page("/tickets/search/?q=refund"), args.samples),
            )
        )
        results.append(
            row("search: rare word", measure(page("/tickets/search/?q=kangaroo"), args.samples))
        )
        results.append(
            row(
                "search: by requester email",
                measure(page("/tickets/search/?q=user7%40example.net"), args.samples),
            )
        )

        # A new ticket becomes searchable: create through the API, then search for it.
        token = lead.timed("POST", "/accounts/preferences/api-token/", {"action": "rotate"})[2]
        key = re.search(r'data-testid="api-token">([0-9a-f]+)<', token).group(1)
        word = "zq" + secrets.token_hex(4)
        queue_id = sql(env, "SELECT id FROM tickets_queue ORDER BY id LIMIT 1")[0][0]
        body = json.dumps({"subject": f"Bench {word}", "body": f"unique {word}", "queue": queue_id,
                           "requester": {"email": "bench@example.org"}})  # fmt: skip
        created = time.perf_counter()
        lead.conn.request("POST", "/api/v1/tickets/", body=body, headers={
            "Authorization": f"Token {key}", "Content-Type": "application/json"})  # fmt: skip
        status = lead.conn.getresponse()
        status.read()
        while True:
            _, _, text = lead.timed("GET", f"/tickets/search/?q={word}")
            if word in text:
                break
        fresh_ms = (time.perf_counter() - created) * 1000

        # "Next ticket" pressed by N agents at once, repeatedly.
        sessions = []
        for n in range(args.agents):
            s = Session(host)
            s.sign_in(f"bench.agent{n}@example.com", PASSWORD)
            sessions.append(s)
        before = sql(
            env,
            "SELECT count(*) FROM tickets_ticket WHERE assignee_id IN (SELECT id FROM accounts_user WHERE email LIKE 'bench.agent%%')",
        )[0][0]
        next_samples: list[float] = []
        claims: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(args.agents)

        def press(s: Session) -> None:
            barrier.wait()
            for _ in range(25):
                s.request("GET", "/tickets/")
                ms, status, _ = s.timed("POST", "/tickets/next/", {})
                with lock:
                    next_samples.append(ms)
                    claims.append(str(status))

        threads = [threading.Thread(target=press, args=(s,)) for s in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = sql(
            env,
            "SELECT count(*) FROM tickets_ticket WHERE assignee_id IN (SELECT id FROM accounts_user WHERE email LIKE 'bench.agent%%')",
        )[0][0]
        results.append(row(f"next ticket, {args.agents} agents at once", percentiles(next_samples)))

        # Mixed load: simulated agents at a fixed request rate.
        mix = [("queue first page", "/tickets/?view=all", 35), ("ticket page", None, 25),
               ("counts", "/tickets/counts/", 15), ("filtered", "/tickets/?view=all&language=en&priority=2", 10),
               ("search", "/tickets/search/?q=account", 10), ("mine", "/tickets/?view=mine", 5)]  # fmt: skip
        by_kind: dict[str, list[float]] = defaultdict(list)
        slow_by_second: dict[int, int] = defaultdict(int)
        interval = 1.0 / args.rate
        tick = threading.Lock()
        rng = random.Random(3)

        def simulated_agent(s: Session) -> None:
            while True:
                with tick:
                    slot = next_slot[0]
                    next_slot[0] += interval
                if slot > stop_at:
                    return
                delay = slot - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                kind, path, _ = rng.choices(mix, weights=[m[2] for m in mix])[0]
                path = path or f"/tickets/{rng.choice(refs)}/"
                ms, status, _ = s.timed("GET", path)
                with tick:
                    by_kind[kind].append(ms)
                    if ms > 100:
                        slow_by_second[int(slot - started)] += 1

        load_sessions = sessions + [Session(host) for _ in range(8)]
        for s in load_sessions[args.agents :]:
            s.sign_in("bench.agent0@example.com", PASSWORD)
        # The schedule starts now, after the sign-ins: started before them (as until the
        # fifth session), it began seconds overdue and opened with a burst at full
        # concurrency that was most of the tail.
        started = time.monotonic()
        stop_at = started + args.duration
        next_slot = [started]
        with CpuSampler() as cpu:
            threads = [threading.Thread(target=simulated_agent, args=(s,)) for s in load_sessions]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        elapsed = time.monotonic() - started
        done = sum(len(v) for v in by_kind.values())

    print(
        f"{'next ticket: distinct claims':<38} {after - before} tickets for {len(claims)} presses (statuses {sorted(set(claims))})"
    )
    print(
        f"{'new ticket searchable after':<38} {fresh_ms:.0f} ms (create + first search that finds it)"
    )
    print(
        f"\nmixed load: {done} requests in {elapsed:.1f}s = {done / elapsed:.0f} req/s (target {args.rate:.0f})"
    )
    print(f"  CPU, share of one core (2 cores = 200%): {cpu.summary()}")
    for kind, samples in sorted(by_kind.items()):
        print("  " + row(kind, percentiles(samples)))
    print(f"  {row('all requests', percentiles([x for v in by_kind.values() for x in v]))}")
    # Queueing spreads slow requests over the run; a stall bunches them in a few seconds.
    spread = " ".join(f"{second}s:{count}" for second, count in sorted(slow_by_second.items()))
    print(f"  requests over 100 ms, by second of the run: {spread or 'none'}")


# Run in the bench's database by `manage.py shell`: what one refresh of the shared queue
# counts costs (beat runs it every 5 s), the periodic recount where there is one, and a
# bulk UPDATE of 10,000 active tickets' status (rolled back), which pays any per-row
# trigger the counts need.
COUNTS_COST = """
import time
from django.db import connection, transaction
from tickets import tasks

import os
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]

def backend_cpu():
    fields = open(f"/proc/{backend}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def timed(fn, n):
    fn()
    wall, cpu, db = time.perf_counter(), time.process_time(), backend_cpu()
    for _ in range(n):
        fn()
    return ((time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000,
            (backend_cpu() - db) / n * 1000)

def serial(fn):
    # PostgreSQL may hand a count to parallel workers, whose CPU this backend's /proc
    # entry does not show: run serially to measure the CPU (the work is the same).
    def run():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            fn()
    return run

wall, _, _ = timed(tasks.refresh_queue_counts, 20)
_, py, db = timed(serial(tasks.refresh_queue_counts), 20)
print(f"count refresh (beat, every 5 s): {wall:.1f} ms a run; CPU {py:.1f} ms Python + "
      f"{db:.1f} ms PostgreSQL = {(py + db) / 5000:.1%} of a core")
if hasattr(tasks, "recount_queue_counts"):
    wall, _, _ = timed(tasks.recount_queue_counts, 3)
    _, py, db = timed(serial(tasks.recount_queue_counts), 3)
    print(f"full recount (beat, every 10 min): {wall:.0f} ms a run; CPU {py + db:.0f} ms = "
          f"{(py + db) / 600000:.2%} of a core")

class Rollback(Exception):
    pass

started = time.perf_counter()
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET status = CASE status WHEN 'new' THEN 'open' ELSE 'new' END"
            " WHERE id IN (SELECT id FROM tickets_ticket WHERE status IN ('new', 'open')"
            " ORDER BY id LIMIT 10000)")
        raise Rollback
except Rollback:
    pass
print(f"bulk status UPDATE of 10,000 tickets (rolled back): "
      f"{(time.perf_counter() - started) * 1000:.0f} ms")
"""


class BenchCpu(CpuSampler):
    """CPU of this bench's processes only (other work shares the machine): its gunicorn,
    Celery worker and beat (by their environment) and the PostgreSQL backends of its
    database (by their title)."""

    def __init__(self, database: str) -> None:
        super().__init__()
        self.database = database.encode()

    def _ours(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if cmdline.startswith(b"postgres: parallel worker"):
                return True  # a worker for whichever backend: ours, most likely
            if cmdline.startswith(b"postgres: "):
                return b" " + self.database + b" " in cmdline
            return b"EMBEDDED_DATABASE_NAME=" + self.database + b"\0" in (
                Path(f"/proc/{pid}/environ").read_bytes())  # fmt: skip
        except OSError:
            return False

    def _sample(self) -> None:
        for pid, seen in cpu_seconds_by_process().items():
            if pid not in self.first and not self._ours(pid):
                continue
            if pid not in self.first:
                self.first[pid] = (seen[0], 0.0) if self.started else seen
            self.last[pid] = seen


def counts_figures(env: dict[str, str], host: str, args: argparse.Namespace) -> None:
    """The queue counts' cost: one refresh, the CPU an idle system spends (beat's refresh
    is most of it), and the queue page's rate at --clients clients in a closed loop."""
    print(manage(env, "shell", "-c", COUNTS_COST).strip())
    with BenchCpu(env["EMBEDDED_DATABASE_NAME"]) as idle:
        time.sleep(30)
    print(f"idle 30 s (worker and beat running), share of one core: {idle.summary()}")
    sessions = []
    for n in range(args.clients):
        s = Session(host)
        s.sign_in(f"bench.agent{n % args.agents}@example.com", PASSWORD)
        s.request("GET", "/tickets/?view=all")
        sessions.append(s)
    samples: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.clients_seconds

    def loop(s: Session) -> None:
        while time.monotonic() < stop_at:
            ms, _, _ = s.timed("GET", "/tickets/?view=all")
            with lock:
                samples.append(ms)

    with BenchCpu(env["EMBEDDED_DATABASE_NAME"]) as cpu:
        threads = [threading.Thread(target=loop, args=(s,)) for s in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"queue page, {args.clients} clients: {len(samples) / cpu.seconds:.0f} pages/s; "
          + row("", percentiles(samples)).strip())  # fmt: skip
    used = sum(total - cpu.first[pid][1] for pid, (_, total) in cpu.last.items())
    print(f"  CPU of the bench's processes, share of one core: {cpu.summary()}; "
          f"{used / max(1, len(samples)) * 1000:.1f} ms of CPU a page")  # fmt: skip


if __name__ == "__main__":
    main()
