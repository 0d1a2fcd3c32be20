#!/usr/bin/env python
"""Per-request CPU in one process: the queue page (default view), a ticket page, search and
the sidebar counts the queue page loads, each through the WSGI application gunicorn serves
(every middleware, sessions, templates), signed in as the demo agent. Prints, per round,
the median and p90 CPU milliseconds (time.process_time around each request, after warm-up)
and the SQL statements per request. Seeds (or reuses) bench/queue.py's database.

    .venv/bin/python bench/request_cpu.py --tickets 100000 --rounds 3

It imports nothing from the apps (only Django, helpdesk.wsgi and bench.common), so the
same file runs in any checkout since the queue bench: copy it in to measure older code
(A/B). The ticket, the search word and the counts URL are chosen the same way in each.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import bench_env, ensure_database, manage, sql  # noqa: E402

HOST = "localhost"  # in the default ALLOWED_HOSTS
# A typical ticket for the ticket page: active, with a few messages, in a queue of the
# agent's team; the lowest id, so every checkout on the same database shows the same one.
TICKET_CANDIDATES = """
SELECT t.reference FROM tickets_ticket t JOIN tickets_message m ON m.ticket_id = t.id
WHERE t.status IN ('new', 'open', 'pending') AND t.queue_id IN (
    SELECT qt.queue_id FROM tickets_queue_teams qt JOIN accounts_user u
    ON u.team_id = qt.team_id WHERE u.email = %s)
GROUP BY t.id HAVING count(*) BETWEEN 3 AND 5 ORDER BY t.id LIMIT 20
"""


def prepare(args: argparse.Namespace) -> dict[str, str]:
    """The database as bench/queue.py makes it: migrated, demo data, N tickets."""
    env = bench_env(args.database)
    if args.skip_setup:
        return env
    ensure_database(args.database)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")  # DEBUG is off: pages need the manifest
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        started = time.monotonic()
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.tickets - have),
               "--open-share", "0.1", "--seed", "1")  # fmt: skip
        print(f"seeded {args.tickets - have} tickets in {time.monotonic() - started:.0f}s")
    return env


class Requests:
    """GETs through the WSGI application, with the signed-in agent's cookies."""

    def __init__(self, email: str) -> None:
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client, RequestFactory

        from helpdesk.wsgi import application

        self.application, self.connection = application, connection
        client = Client(HTTP_HOST=HOST)
        client.force_login(get_user_model().objects.get(email=email))
        self.factory = RequestFactory(HTTP_HOST=HOST)
        self.factory.cookies = client.cookies

    def get(self, path: str, headers: dict[str, str]) -> tuple[float, float, int, bytes]:
        """CPU ms, wall ms, status and body of one request, as a WSGI server would run it
        (the environ is built before the clock starts; closing the response runs
        request_finished, which a server does too)."""
        environ = self.factory.get(path, headers=headers).environ
        status: list[str] = []

        def start_response(code: str, _headers: list, _exc: object = None) -> None:
            status.append(code)

        wall, cpu = time.perf_counter(), time.process_time()
        body = self.application(environ, start_response)
        content = b"".join(body)
        body.close()  # type: ignore[attr-defined]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return cpu * 1000, wall * 1000, int(status[0].split()[0]), content

    def queries(self, path: str, headers: dict[str, str]) -> int:
        count = 0

        def counter(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with self.connection.execute_wrapper(counter):
            self.get(path, headers)
        return count


def choose_paths(requests: Requests, agent: str, word: str) -> list[tuple]:
    """(label, path, headers) for the four requests, found the same way in every checkout."""
    _, _, status, page = requests.get("/tickets/", {})
    if status != 200:
        raise SystemExit(f"the queue page answered {status}")
    found = re.search(rb'id="queue-sidebar" hx-get="([^"]+)"', page)
    counts = html.unescape(found.group(1).decode()) if found else "/tickets/counts/"
    with requests.connection.cursor() as cursor:
        cursor.execute(TICKET_CANDIDATES, [agent])
        candidates = cursor.fetchall()
    ticket = None
    for (reference,) in candidates:
        if requests.get(f"/tickets/{reference}/", {})[2] == 200:
            ticket = reference
            break
    if ticket is None:
        raise SystemExit("no active ticket with 3-5 messages that the agent may see")
    return [
        ("queue page", "/tickets/", {}),
        (f"ticket page ({ticket})", f"/tickets/{ticket}/", {}),
        (f"search ({word})", f"/tickets/search/?q={word}", {}),
        ("counts (htmx)", counts, {"HX-Request": "true"}),
    ]


def reference_loop() -> float:
    """A fixed piece of pure-Python work, timed like a request: on a shared machine the CPU
    time of the same work grows with the others' load (shared cores and caches), so this
    row says how fast the machine was while the requests ran."""
    cpu = time.process_time()
    total = 0
    for n in range(20_000):
        total += n * n % 7
    return (time.process_time() - cpu) * 1000


def pick(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database", help="default: bench/queue.py's, helpdesk_bench_<N>")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="per path per round")
    parser.add_argument("--warmup", type=int, default=20, help="per path, before round 1")
    parser.add_argument("--agent", default="agent@example.com", help="a demo agent")
    parser.add_argument("--word", default="refund", help="the search word (one that matches)")
    parser.add_argument("--label", default="", help="printed with each round (A, B, …)")
    parser.add_argument("--json", help="append each round's figures to this file (JSON lines)")
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="no migrate, collectstatic or seeding (the database is ready)",
    )
    args = parser.parse_args()
    args.database = args.database or f"helpdesk_bench_{args.tickets}"

    env = prepare(args)
    os.environ.update(env)
    requests = Requests(args.agent)
    paths = choose_paths(requests, args.agent, args.word)
    commit = os.popen(f"git -C {BASE_DIR} rev-parse --short HEAD").read().strip()  # noqa: S605
    total = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    print(f"{BASE_DIR} at {commit}; {args.database}: {total:,} tickets; agent {args.agent}")

    # Warm-up: per-process caches, templates, the connection; helpdesk.wsgi freezes the
    # garbage collector's long-lived objects after its first 50 requests, as in gunicorn.
    for _ in range(args.warmup):
        for _, path, headers in paths:
            status = requests.get(path, headers)[2]
            if status != 200:
                raise SystemExit(f"{path} answered {status}")

    for number in range(1, args.rounds + 1):
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in paths}
        wall: dict[str, list[float]] = {label: [] for label, _, _ in paths}
        sizes: dict[str, int] = {}
        reference: list[float] = []
        # The paths take turns, so load from elsewhere on the machine falls on each alike.
        for _ in range(args.requests):
            for label, path, headers in paths:
                cpu_ms, wall_ms, _, content = requests.get(path, headers)
                cpu[label].append(cpu_ms)
                wall[label].append(wall_ms)
                sizes[label] = len(content)
            reference.append(reference_loop())
        print(f"\nround {number}{f' ({args.label})' if args.label else ''}: "
              f"{args.requests} requests per path, CPU ms per request")  # fmt: skip
        print(f"  {'':<28} {'median':>7} {'p90':>7} {'wall p50':>9} {'queries':>8} {'bytes':>8}")
        records = []
        for label, path, headers in paths:
            ordered = sorted(cpu[label])
            queries = requests.queries(path, headers)
            figures = {"median": statistics.median(ordered), "p90": pick(ordered, 0.9),
                       "wall_median": statistics.median(wall[label]), "queries": queries,
                       "bytes": sizes[label]}  # fmt: skip
            print(f"  {label:<28} {figures['median']:7.2f} {figures['p90']:7.2f} "
                  f"{figures['wall_median']:9.2f} {queries:8d} {sizes[label]:8d}")  # fmt: skip
            records.append({"path": label.split(" (")[0], **figures})
        loop = {"median": statistics.median(reference), "p90": pick(sorted(reference), 0.9)}
        print(f"  {'reference loop (no I/O)':<28} {loop['median']:7.2f} {loop['p90']:7.2f}")
        records.append({"path": "reference loop", **loop})
        if args.json:
            with open(args.json, "a") as out:
                for record in records:
                    out.write(json.dumps({"label": args.label, "commit": commit,
                                          "round": number, **record}) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
