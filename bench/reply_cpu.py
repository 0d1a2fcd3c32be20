#!/usr/bin/env python
"""CPU per reply with "Send and next" in one process: an agent answers a ticket and marks
it solved, and the same request claims the next waiting ticket, through the WSGI
application gunicorn serves (every middleware, sessions, CSRF, the redirect). Prints, per
round, the median wall time and the median and p90 CPU milliseconds of the reply
(time.process_time around it), its SQL statements and the CPU its PostgreSQL backend
spent on it; then the medians across rounds. Before each reply it also asks what an
agent's pages ask in bench/agents.py (the queue page, its list and counts as htmx reloads
them, the ticket's page, who else is there) and prints each one's median CPU.

    .venv/bin/python bench/reply_cpu.py --rounds 3 --replies 60

It replies on a copy of bench/agents.py's database (``bench_agents``; run that bench once
to seed it): the template ``bench_reply_template`` is copied from it once (again with
``--fresh-template``, after a new seeding), and each round runs in a child process on a
fresh copy of the template, ``bench_reply_scratch``, so every round, and every checkout
in an A/B, answers the same tickets. It imports nothing from the apps (only Django,
helpdesk.wsgi and bench.common), so the same file can be copied into an older checkout to
measure older code (A/B).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import bench_env  # noqa: E402

if TYPE_CHECKING:
    import psycopg

SOURCE = "bench_agents"  # bench/agents.py's database
TEMPLATE = "bench_reply_template"
SCRATCH = "bench_reply_scratch"
REDIS_DB = 12  # a logical Redis database of this bench's own (the cache): emptied each round
HOST = "localhost"  # in the default ALLOWED_HOSTS
CSRF = "c" * 64  # the CSRF cookie and header (Django compares the two)
WARMUP = 3  # replies left out of the figures: per-process caches, templates, the connection
BODY = "Thanks for waiting: this is sorted now."
TICKET_URL = re.compile(r"/tickets/([^/]+)/$")
# The other requests of an agent's round in bench/agents.py, each timed before every reply
# (name, method, path, form, expected status); the ticket's page is the one replied to.
OTHERS: tuple[tuple[str, str, str, dict[str, str] | None, int], ...] = (
    ("queue page", "GET", "/tickets/", None, 200),
    ("queue list", "GET", "/tickets/", None, 200),
    ("counts", "GET", "/tickets/counts/?current=mine", None, 200),
    ("ticket page", "GET", "/tickets/{reference}/", None, 200),
    ("presence", "POST", "/tickets/{reference}/presence/", {"state": "viewing"}, 200),
)
HTMX = {"queue list", "counts", "presence"}  # asked by htmx, as the pages do


@contextmanager
def postgres(database: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the embedded PostgreSQL as its superuser."""
    import psycopg

    from helpdesk import embedded

    location = embedded.ensure_postgres()
    with psycopg.connect(host=str(location.socket_dir), port=location.port, user="postgres",
                         dbname=database, autocommit=True) as conn:  # fmt: skip
        yield conn


def prepare_template(agent: str, fresh: bool) -> int:
    """Make the template from bench/agents.py's database if it is missing (or ``fresh``);
    the number of tickets in it. A database is copied only while no one else is connected
    to the one it copies: hence the template, which nothing but this script opens."""
    import psycopg

    with postgres("postgres") as conn:

        def exists(name: str) -> bool:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return found.fetchone() is not None

        if fresh or not exists(TEMPLATE):
            if not exists(SOURCE):
                raise SystemExit(f"No database {SOURCE}: seed it with bench/agents.py first.")
            conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
            try:
                conn.execute(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE "{SOURCE}"')
            except psycopg.errors.ObjectInUse:
                raise SystemExit(f"Others are connected to {SOURCE} (is bench/agents.py "
                                 f"running?): it can only be copied alone.") from None  # fmt: skip
            print(f"made {TEMPLATE} from {SOURCE}")
    with postgres(TEMPLATE) as conn:
        if not conn.execute("SELECT 1 FROM accounts_user WHERE email = %s", [agent]).fetchone():
            raise SystemExit(f"{TEMPLATE} has no user {agent}: seed {SOURCE} with "
                             f"bench/agents.py, then run with --fresh-template.")  # fmt: skip
        row = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()
        return row[0] if row else 0


def fresh_scratch() -> None:
    """A new copy of the template, and an empty cache."""
    import redis

    from helpdesk import embedded

    with postgres("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SCRATCH}" TEMPLATE "{TEMPLATE}"')
    redis.Redis.from_url(embedded.redis_url(db=REDIS_DB)).flushdb()


class Reply(NamedTuple):
    cpu: float  # ms, this process
    wall: float  # ms
    statements: int
    backend: float | None  # ms of the PostgreSQL backend's CPU; None if it changed


class Agent:
    """Requests through the WSGI application, with the signed-in agent's cookies."""

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
        self.factory.cookies["csrftoken"] = CSRF
        self.ticks = os.sysconf("SC_CLK_TCK")

    def call(self, method: str, path: str, data: dict[str, str] | None = None,
             htmx: bool = False) -> tuple[float, float, int, str]:  # fmt: skip
        """CPU ms, wall ms, status and Location of one request, as a WSGI server would run
        it (the environ is built before the clock starts; closing the response runs
        request_finished, which a server does too)."""
        headers = {"HX-Request": "true"} if htmx else {}
        if method == "POST":
            request = self.factory.post(path, data=data or {},
                                        headers={"X-CSRFToken": CSRF, **headers})  # fmt: skip
        else:
            request = self.factory.get(path, headers=headers)
        environ = request.environ
        answer: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(code: str, headers: list[tuple[str, str]], _exc: object = None) -> None:
            answer.append((code, headers))

        wall, cpu = time.perf_counter(), time.process_time()
        body = self.application(environ, start_response)
        b"".join(body)
        body.close()  # type: ignore[attr-defined]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        code, headers = answer[0]
        return cpu * 1000, wall * 1000, int(code.split()[0]), dict(headers).get("Location", "")

    def backend(self) -> tuple[int, float]:
        """The PostgreSQL backend serving this process's connection: its pid and the CPU
        ms it has used so far (user + system, from /proc: it runs on this machine)."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return pid, (int(fields[11]) + int(fields[12])) * 1000 / self.ticks


def ticket_of(location: str) -> str | None:
    found = TICKET_URL.search(location)
    return found.group(1) if found else None


def pick(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_round(args: argparse.Namespace) -> None:
    """One round, in this (child) process, on the scratch database; its figures are
    written to the file ``--round`` names, as JSON."""
    import django

    from helpdesk import embedded

    os.environ.update(bench_env(SCRATCH, EMAIL_URL="dummymail://", PUSH_ALLOWED_ORIGINS="",
                                REDIS_URL=embedded.redis_url(db=REDIS_DB)))  # fmt: skip
    django.setup()
    agent = Agent(args.agent)
    _, _, status, location = agent.call("POST", "/tickets/next/")
    first = reference = ticket_of(location)
    if reference is None:
        raise SystemExit(f"POST /tickets/next/ answered {status} {location}: nothing to claim")

    statements: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool,
               context: dict[str, Any]) -> Any:  # fmt: skip
        statements.append(sql)
        return execute(sql, params, many, context)

    replies: list[Reply] = []
    others: dict[str, list[float]] = {name: [] for name, *_ in OTHERS}
    data = {"body": BODY, "status": "solved", "then": "next"}  # the "Send and next" button
    for number in range(1, args.replies + 1):
        for name, method, path, form, expected in OTHERS:
            cpu, _, status, _ = agent.call(method, path.format(reference=reference), form,
                                           htmx=name in HTMX)  # fmt: skip
            if status != expected:
                raise SystemExit(f"{name} ({path.format(reference=reference)}) answered {status}")
            others[name].append(cpu)
        statements.clear()
        pid, before = agent.backend()
        with agent.connection.execute_wrapper(record):
            cpu, wall, status, location = agent.call("POST", f"/tickets/{reference}/reply/", data)
        if status != 302:
            raise SystemExit(f"the reply to ticket {reference} answered {status}")
        reference = ticket_of(location)
        if reference is None:
            # It claimed nothing, unlike the others: left out of the figures.
            print(f"no next ticket after reply {number} (sent to {location}): stopping early")
            break
        # /proc counts CPU in clock ticks (10 ms), longer than many a reply's share: one
        # reply reads as 0 or 10 ms, hence the figure is the mean over the round. The
        # connection may be renewed (after CONN_MAX_AGE): then the backend is a new one.
        after_pid, after = agent.backend()
        backend = after - before if after_pid == pid else None
        replies.append(Reply(cpu, wall, len(statements), backend))

    measured = replies[WARMUP:]
    if not measured:
        raise SystemExit(f"{len(replies)} replies, none after the {WARMUP} of warm-up")
    cpu_ms = sorted(reply.cpu for reply in measured)
    backends = [reply.backend for reply in measured if reply.backend is not None]
    figures = {
        "cpu_median": statistics.median(cpu_ms),
        "wall_median": statistics.median(reply.wall for reply in measured),
        "cpu_p90": pick(cpu_ms, 0.9),
        "statements": statistics.median(reply.statements for reply in measured),
        "backend_mean": statistics.fmean(backends) if backends else None,
        "n": len(measured),
        "first": first,
        "others": {name: statistics.median(cpus[WARMUP:]) for name, cpus in others.items()},
    }
    if args.statements:
        print(f"statements of the last reply ({len(statements)}):")
        for sql in statements:
            print("  " + " ".join(sql.split())[:160])
    Path(args.round).write_text(json.dumps(figures))


def describe(figures: dict[str, Any]) -> str:
    backend = figures["backend_mean"]
    others = ", ".join(f"{name} {ms:.1f}" for name, ms in figures["others"].items())
    return (f"CPU median {figures['cpu_median']:.1f} ms (the other requests' CPU medians, "
            f"ms: {others}), wall median "
            f"{figures['wall_median']:.1f} ms, CPU p90 {figures['cpu_p90']:.1f} ms, "
            f"statements {figures['statements']:g}, PostgreSQL backend CPU "
            + (f"{backend:.1f} ms" if backend is not None else "n/a")
            + f" per reply (mean), n={figures['n']:g}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replies", type=int, default=60,
                        help=f"per round, the first {WARMUP} of them warm-up")  # fmt: skip
    parser.add_argument("--agent", default="agent-0@agents.bench.example",
                        help="one of bench/agents.py's agents")  # fmt: skip
    parser.add_argument("--label", default="", help="printed with each round (A, B, …)")
    parser.add_argument("--statements", action="store_true",
                        help="print the SQL statements of each round's last reply")  # fmt: skip
    parser.add_argument("--fresh-template", action="store_true",
                        help=f"copy {TEMPLATE} anew from {SOURCE} (after seeding it)")  # fmt: skip
    parser.add_argument("--round", help=argparse.SUPPRESS)  # a child's: where its figures go
    args = parser.parse_args()
    if args.round:
        run_round(args)
        return

    tickets = prepare_template(args.agent, args.fresh_template)
    commit = subprocess.run(["git", "-C", str(BASE_DIR), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    print(f"{BASE_DIR} at {commit}; {TEMPLATE} ({tickets:,} tickets); agent {args.agent}")
    label = f" ({args.label})" if args.label else ""
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for number in range(1, args.rounds + 1):
            fresh_scratch()
            output = Path(folder) / f"round-{number}.json"
            command = [sys.executable, __file__, "--agent", args.agent,
                       "--replies", str(args.replies), "--round", str(output)]  # fmt: skip
            if args.statements:
                command.append("--statements")
            if subprocess.run(command, cwd=BASE_DIR, check=False).returncode != 0:
                raise SystemExit(f"round {number} failed")
            figures = json.loads(output.read_text())
            rounds.append(figures)
            print(f"round {number}{label}: {describe(figures)}; first ticket {figures['first']}",
                  flush=True)  # fmt: skip

    backends = [f["backend_mean"] for f in rounds if f["backend_mean"] is not None]
    medians = {key: statistics.median(f[key] for f in rounds)
               for key in ("cpu_median", "wall_median", "cpu_p90", "statements", "n")}  # fmt: skip
    medians["backend_mean"] = statistics.median(backends) if backends else None
    medians["others"] = {name: statistics.median(f["others"][name] for f in rounds)
                         for name in rounds[0]["others"]}  # fmt: skip
    print(f"median of {len(rounds)} round{'s' * (len(rounds) != 1)}{label}: {describe(medians)}")


if __name__ == "__main__":
    main()
