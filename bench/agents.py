#!/usr/bin/env python
"""Agents per box: simulated signed-in agents working the queue through the real servers,
their pages' background requests polled (as before push) or pushed.

Each agent does what the pages do in a browser. On the queue page (5–15 s) it presses
"next ticket"; on the ticket (HANDLE seconds on average) it replies and solves, then goes
on to the next ticket ("Send and next", 70%) or back to the queue. Meanwhile the pages ask
what they ask:

- **poll** (no ``PUSH_URL``): every page sends a sign of life every 30 s; the queue page
  reloads its list and counts every 15 s (and each every 60 s on its own); the ticket page
  asks who else is there every 5 s.
- **push** (``PUSH_URL`` set, uvicorn beside gunicorn): every page holds the agent's event
  stream (with ``?queues=1`` on the queue, ``?ticket=`` on a ticket), which is the sign
  of life; the queue page reloads its list and counts when a nudge says one of its
  queues changed (at most once per 10 s, 1-4 s after the nudge, spread at random as
  agent.js does); the ticket page is told who else is there by its stream's "ready" (a
  polling page asks when it opens, and every 5 s) and asks only when the stream says it
  changed.

The agents join in steps (``--steps``), each held for ``--step-seconds``; the figures of a
step are taken after its agents have joined (over ``--ramp`` s) and settled (15 s). An
action is one of the four an agent waits for: the queue page, "next ticket", a ticket's
page, a reply. Prints, per mode and step: actions and background requests per second,
action latency p50/p95/p99 (and p99 by action), errors, and each program's CPU; then how
many agents the box held with action p99 ≤ ``--target`` ms.

    .venv/bin/python bench/agents.py --steps 250 500 750 1000 --modes poll push
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

import queue  # noqa: E402 (the standard library's, once bench/queue.py is off the path)

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    bench_env,
    celery,
    cpu_seconds_by_process,
    ensure_database,
    gunicorn,
    manage,
    percentiles,
    server_sent_events,
    sql,
    uvicorn,
)

DATABASE = "bench_agents"
# Its own Redis database: the chat gate, presence and signs of life are kept by user id,
# and another benchmark's database has other people under the same ids.
REDIS_DB = 11
CSRF = "c" * 64  # the agents' CSRF cookie and header (Django compares the two)
STREAM_TIMEOUT = httpx.Timeout(30.0, read=60.0)  # keepalives come every 15 s
SETTLE = 15.0  # seconds after a step's agents have joined before its figures count
ACTIONS = ("queue page", "next ticket", "ticket page", "reply")

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts import services as accounts
from accounts.models import Role, Team, User
from tickets.models import Queue
team = Team.objects.filter(name="Bench agents").first() or accounts.team_create(
    actor=None, name="Bench agents", vendor=None)
for q in Queue.objects.all():
    q.teams.add(team)
keys = []
for n in range({agents}):
    email = f"agent-{{n}}@agents.bench.example"
    user = User.objects.filter(email=email).first() or accounts.user_create(
        actor=None, email=email, full_name=f"Bench Agent {{n}}", role=Role.AGENT, team=team,
        languages=[], time_zone="UTC", password=None)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(f"{{user.pk}}:{{session.session_key}}")
print("KEYS " + " ".join(keys))
# The queues "next ticket" hands out from to these agents (the apps' rules may hold some
# back: a protected queue needs a clearance the bench agents do not have).
from tickets import next_rules, selectors
first = User.objects.get(email="agent-0@agents.bench.example")
rule = next_rules.for_agent(first)
print("QUEUES " + " ".join(str(pk) for pk in selectors.visible_queue_ids(first)
                           if pk not in rule.skip and pk not in rule.later))
"""

# Tickets "next ticket" can hand out: unassigned, new or open, not a chat, in a queue it
# hands out from to the bench agents (SETUP says which).
WAITING = ("SELECT count(*) FROM tickets_ticket WHERE assignee_id IS NULL AND status IN "
           "('new', 'open') AND channel <> 'chat' AND merged_into_id IS NULL "
           "AND queue_id IN ({queues})")  # fmt: skip


class Plan(NamedTuple):
    mode: str  # "poll" or "push"
    steps: list[int]  # agents in each step
    step_seconds: float
    ramp: float  # a step's new agents join over this many seconds
    handle: float  # seconds on a ticket, on average
    started: float  # wall clock of the first step's start
    spread: float = 3.0  # a queue page's reload waits up to this much more (agent.js)

    def joins_at(self, index: int) -> float:
        """When the agent with this global index joins (wall clock)."""
        before = 0
        for k, count in enumerate(self.steps):
            if index < count:
                share = (index - before) / max(1, count - before)
                return self.started + k * self.step_seconds + share * self.ramp
            before = count
        raise ValueError(index)

    @property
    def ends(self) -> float:
        return self.started + len(self.steps) * self.step_seconds

    def window(self, k: int) -> tuple[float, float]:
        start = self.started + k * self.step_seconds
        return start + self.ramp + SETTLE, start + self.step_seconds


class Log:
    """What one client process saw: (wall clock at the start, kind, ms, ok) per request."""

    def __init__(self) -> None:
        self.actions: list[tuple[float, str, float, bool]] = []
        self.background: list[tuple[float, str, float, bool]] = []
        self.failures: list[str] = []
        self.empty = 0  # "next ticket" pressed with nothing waiting

    async def timed(self, kind: str, call: Any, *, action: bool) -> httpx.Response | None:
        at, started = time.time(), time.perf_counter()
        try:
            response = await call
        except httpx.HTTPError as exc:
            self.failures.append(f"{kind}: {exc!r}")
            (self.actions if action else self.background).append((at, kind, 0.0, False))
            return None
        ms = (time.perf_counter() - started) * 1000
        ok = response.status_code < 400
        if not ok:
            self.failures.append(f"{kind}: HTTP {response.status_code}")
        (self.actions if action else self.background).append((at, kind, ms, ok))
        return response


class Agent:
    """One signed-in agent's browser: the page it is on and that page's background."""

    def __init__(self, web: httpx.AsyncClient, push: httpx.AsyncClient | None, index: int,
                 user: int, key: str, log: Log, plan: Plan) -> None:  # fmt: skip
        self.web, self.push, self.log, self.plan = web, push, log, plan
        self.index, self.user = index, user  # the agent's place in the steps; their user id
        self.cookie = {"Cookie": f"sessionid={key}; csrftoken={CSRF}"}
        self.posting = {**self.cookie, "X-CSRFToken": CSRF, "Referer": str(web.base_url) + "/"}
        self.htmx = {"HX-Request": "true"}

    # ----------------------------------------------------------------- the four actions
    async def queue_page(self) -> None:
        await self.log.timed("queue page", self.web.get("/tickets/", headers=self.cookie),
                             action=True)  # fmt: skip

    async def next_ticket(self) -> str | None:
        answer = await self.log.timed(
            "next ticket", self.web.post("/tickets/next/", headers=self.posting), action=True
        )
        reference = _ticket_from(answer)
        self.log.empty += reference is None
        return reference

    async def ticket_page(self, reference: str) -> None:
        page = self.web.get(f"/tickets/{reference}/", headers=self.cookie)
        await self.log.timed("ticket page", page, action=True)

    async def reply(self, reference: str, then_next: bool) -> str | None:
        form = {"body": "Thanks for waiting: this is sorted now.", "status": "solved",
                **({"then": "next"} if then_next else {})}  # fmt: skip
        answer = await self.log.timed(
            "reply", self.web.post(f"/tickets/{reference}/reply/", headers=self.posting,
                                   data=form), action=True)  # fmt: skip
        return _ticket_from(answer) if then_next else None

    # --------------------------------------------------------- what the pages ask alone
    async def fragments(self) -> None:
        """The queue list and the counts, as "helpdesk:work-changed" reloads them."""
        headers = {**self.cookie, **self.htmx}
        await asyncio.gather(
            self.log.timed("queue list", self.web.get("/tickets/", headers=headers), action=False),
            self.log.timed("counts", self.web.get("/tickets/counts/", headers=headers,
                                                  params={"current": "mine"}), action=False),
        )  # fmt: skip

    async def presence(self, reference: str) -> None:
        await self.log.timed("presence", self.web.post(
            f"/tickets/{reference}/presence/", headers={**self.posting, **self.htmx},
            data={"state": "viewing"}), action=False)  # fmt: skip

    async def heartbeat(self) -> None:
        await self.log.timed("heartbeat", self.web.post("/chat/heartbeat/", headers=self.posting),
                             action=False)  # fmt: skip

    async def every(self, seconds: float, call: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            await call()

    async def events(self, reference: str | None) -> AsyncIterator[tuple[str, dict]]:
        """The agent's event stream, reconnecting from its last id as EventSource does."""
        assert self.push is not None
        # The queue page's stream follows the agent's queues; a ticket's, that ticket.
        last, path = "", "/push/agent/" + (f"?ticket={reference}" if reference else "?queues=1")
        while True:
            headers = {**self.cookie, **({"Last-Event-ID": last} if last else {})}
            at, started = time.time(), time.perf_counter()
            try:
                async with self.push.stream("GET", path, headers=headers) as response:
                    ms = (time.perf_counter() - started) * 1000
                    ok = response.status_code == 200
                    self.log.background.append((at, "stream opening", ms, ok))
                    if not ok:
                        self.log.failures.append(f"stream: HTTP {response.status_code}")
                        await response.aread()
                        await asyncio.sleep(3)
                        continue
                    async for event in server_sent_events(response.aiter_lines()):
                        last = event.get("id", last)
                        yield event["event"], json.loads(event.get("data") or "{}")
            except httpx.HTTPError as exc:
                self.log.failures.append(f"stream: {exc!r}")
            await asyncio.sleep(3)  # EventSource's own retry

    # ------------------------------------------------------------------------ the pages
    async def on_queue(self, seconds: float) -> None:
        """On the queue page for ``seconds``, with what it asks meanwhile."""
        tasks: list[asyncio.Task] = []
        if self.plan.mode == "poll":
            tasks = [asyncio.create_task(self.every(30, self.heartbeat)),
                     asyncio.create_task(self.every(15, self.fragments)),
                     asyncio.create_task(self.every(60, self.fragments))]  # fmt: skip
        else:
            tasks = [asyncio.create_task(self.follow_queue())]
        await _stay(seconds, tasks)

    async def follow_queue(self) -> None:
        last_refresh, refresh = 0.0, None

        async def later(wait: float) -> None:
            nonlocal last_refresh, refresh
            await asyncio.sleep(wait)
            last_refresh, refresh = time.monotonic(), None
            await self.fragments()

        try:
            async for kind, _data in self.events(None):
                if kind == "changed" and refresh is None:
                    wait = max(1.0, last_refresh + 10 - time.monotonic())
                    wait += random.uniform(0, self.plan.spread)
                    refresh = asyncio.create_task(later(wait))
        finally:
            if refresh is not None:
                refresh.cancel()

    async def on_ticket(self, reference: str, seconds: float) -> None:
        tasks: list[asyncio.Task] = []
        if self.plan.mode == "poll":
            await self.presence(reference)  # the box's "load" (with push, the stream's "ready")
            tasks.append(asyncio.create_task(self.every(30, self.heartbeat)))
            tasks.append(asyncio.create_task(self.every(5, lambda: self.presence(reference))))
        else:
            tasks.append(asyncio.create_task(self.follow_ticket(reference)))
        await _stay(seconds, tasks)

    async def follow_ticket(self, reference: str) -> None:
        async for kind, data in self.events(reference):
            if kind == "ready":  # it says who else is there (the page asks if it could not)
                asks = not isinstance(data.get("presence"), str)
            else:
                asks = kind == "presence" and data.get("by") != self.user
            if asks:
                await self.presence(reference)

    async def work(self) -> None:
        await asyncio.sleep(max(0.0, self.plan.joins_at(self.index) - time.time()))
        reference: str | None = None
        while time.time() < self.plan.ends:
            if reference is None:
                await self.queue_page()
                await self.on_queue(random.uniform(5, 15))
                reference = await self.next_ticket()
                if reference is None:
                    continue
            await self.ticket_page(reference)
            await self.on_ticket(reference, random.uniform(0.5, 1.5) * self.plan.handle)
            then_next = random.random() < 0.7
            reference = await self.reply(reference, then_next)


async def _stay(seconds: float, tasks: list[asyncio.Task]) -> None:
    """On a page for ``seconds`` while its background ``tasks`` run; they end with it."""
    try:
        await asyncio.sleep(seconds)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _ticket_from(response: httpx.Response | None) -> str | None:
    """The ticket a redirect leads to (None for the queue: nothing was waiting)."""
    if response is None or response.status_code != 302:
        return None
    parts = response.headers.get("location", "").strip("/").split("/")
    return parts[1] if len(parts) == 2 and parts[0] == "tickets" else None


async def client_process(web: str, push: str, keys: list[tuple[int, int, str]],
                         plan: Plan) -> dict[str, Any]:  # fmt: skip
    unlimited = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    web_client = httpx.AsyncClient(base_url=web, timeout=60, limits=unlimited)
    push_client = (httpx.AsyncClient(base_url=push, timeout=STREAM_TIMEOUT, limits=unlimited)
                   if plan.mode == "push" else None)  # fmt: skip
    log = Log()
    lags: list[tuple[float, float]] = []

    async def lag() -> None:  # how late this process's own loop runs (it must not be the limit)
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.1)
            lags.append((time.time(), (time.perf_counter() - t - 0.1) * 1000))

    lagging = asyncio.create_task(lag())
    agents = []
    for index, user, key in keys:
        agent = Agent(web_client, push_client, index, user, key, log, plan)
        agents.append(asyncio.create_task(agent.work()))
    await asyncio.sleep(max(0.0, plan.ends - time.time()))
    for task in [*agents, lagging]:
        task.cancel()
    results = await asyncio.gather(*agents, lagging, return_exceptions=True)
    cancelled = asyncio.CancelledError
    crashed = [repr(r) for r in results
               if isinstance(r, BaseException) and not isinstance(r, cancelled)]  # fmt: skip
    await web_client.aclose()
    if push_client is not None:
        await push_client.aclose()
    return {"actions": log.actions, "background": log.background, "lags": lags,
            "failures": log.failures, "crashed": crashed, "empty": log.empty}  # fmt: skip


def _client_main(web: str, push: str, keys: list[tuple[int, int, str]], plan: Plan,
                 results: Any) -> None:  # fmt: skip
    # The servers first: on this one machine the client must not take their CPU (its own
    # lateness shows as "client loop lag").
    os.nice(10)
    results.put(asyncio.run(client_process(web, push, keys, plan)))


def cpu_share(first: dict[int, tuple[str, float]], last: dict[int, tuple[str, float]],
              seconds: float) -> str:  # fmt: skip
    """Each program's share of one core between two readings, the busiest first."""
    used: dict[str, float] = {}
    for pid, (name, total) in last.items():
        used[name] = used.get(name, 0.0) + total - first.get(pid, (name, 0.0))[1]
    busy = sorted(((v, k) for k, v in used.items() if v / seconds >= 0.01), reverse=True)
    total = sum(v for v, _ in busy)
    return ", ".join(f"{k} {v / seconds:.0%}" for v, k in busy) + f" (all {total / seconds:.0%})"


def run(web: str, push: str, keys: list[tuple[int, str]], plan: Plan,
        processes: int) -> tuple[dict[str, Any], list[str]]:  # fmt: skip
    """The agents split over ``processes`` client processes; their logs merged, and the
    CPU of each step's window."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    numbered = [(index, user, key) for index, (user, key) in enumerate(keys[: plan.steps[-1]])]
    workers = [context.Process(target=_client_main,
                               args=(web, push, numbered[i::processes], plan, results))
               for i in range(processes)]  # fmt: skip
    for worker in workers:
        worker.start()
    cpu: list[str] = []
    for k in range(len(plan.steps)):
        start, end = plan.window(k)
        time.sleep(max(0.0, start - time.time()))
        first = cpu_seconds_by_process()
        time.sleep(max(0.0, end - time.time()))
        cpu.append(cpu_share(first, cpu_seconds_by_process(), end - start))
    parts: list[dict[str, Any]] = []
    while len(parts) < processes:
        try:
            parts.append(results.get(timeout=5))
        except queue.Empty:
            if any(worker.exitcode not in (None, 0) for worker in workers):
                raise SystemExit("A client process failed (its traceback is above).") from None
    for worker in workers:
        worker.join()
    merged: dict[str, Any] = {"actions": [], "background": [], "lags": [], "failures": [],
                              "crashed": [], "empty": 0}  # fmt: skip
    for part in parts:
        for name in merged:
            merged[name] += part[name]
    return merged, cpu


def _busiest_second(background: list[tuple[float, str, float, bool]]) -> int:
    """The most queue lists asked for within one second: pages that reload together on
    the same nudge come as a burst, which every action behind it waits out."""
    starts = sorted(at for at, kind, _ms, _ok in background if kind == "queue list")
    most, first = 0, 0
    for last, at in enumerate(starts):
        while at - starts[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def report(plan: Plan, merged: dict[str, Any], cpu: list[str], target: float) -> int:
    """Print each step's figures; the most agents of a step whose action p99 met the
    target (0 if none did)."""
    held = 0
    print(f"\n== {plan.mode}: agents in steps of {plan.step_seconds:.0f} s, each joining over "
          f"{plan.ramp:.0f} s; a ticket handled in {plan.handle:.0f} s on average")  # fmt: skip
    for k, count in enumerate(plan.steps):
        start, end = plan.window(k)
        seconds = end - start
        actions = [a for a in merged["actions"] if start <= a[0] < end]
        background = [b for b in merged["background"] if start <= b[0] < end]
        stats = percentiles([ms for _at, _kind, ms, ok in actions if ok])
        errors = sum(1 for *_rest, ok in actions + background if not ok)
        by_kind = []
        for kind in ACTIONS:
            st = percentiles([ms for _at, kk, ms, ok in actions if ok and kk == kind])
            by_kind.append(f"{kind} {st['p50']:.0f}/{st['p99']:.0f}")
        kinds: dict[str, int] = {}
        for _at, kind, _ms, _ok in background:
            kinds[kind] = kinds.get(kind, 0) + 1
        lag = percentiles([ms for at, ms in merged["lags"] if start <= at < end])
        print(
            f"  {count} agents: {len(actions) / seconds:.1f} actions/s, "
            f"{len(background) / seconds:.1f} background requests/s "
            f"({', '.join(f'{k} {v / seconds:.1f}' for k, v in sorted(kinds.items()))}); "
            f"queue reloads begun in the busiest second {_busiest_second(background)}"
        )
        print(
            f"    actions p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms, "
            f"p99 {stats['p99']:.0f} ms, max {stats['max']:.0f} ms; p50/p99 by action: "
            f"{', '.join(by_kind)}; errors {errors}; client loop lag p99 {lag['p99']:.0f} ms"
        )
        print(f"    CPU (share of one core): {cpu[k]}")
        if stats["n"] and stats["p99"] <= target and not errors:
            held = max(held, count)
    if merged["empty"]:
        print(f"  'next ticket' found nothing waiting {merged['empty']} times")
    if merged["failures"]:
        print(f"  {len(merged['failures'])} failed requests, e.g. {merged['failures'][:3]}")
    if merged["crashed"]:
        print(f"  {len(merged['crashed'])} simulated agents crashed, e.g. {merged['crashed'][0]}")
    return held


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[250, 500, 750, 1000, 1250],
                        help="agents signed in at each step (growing)")  # fmt: skip
    parser.add_argument("--modes", nargs="+", default=["poll", "push"], choices=["poll", "push"])
    parser.add_argument("--step-seconds", type=float, default=120)
    parser.add_argument("--ramp", type=float, default=30, help="a step's agents join over this")
    parser.add_argument("--handle", type=float, default=120,
                        help="seconds an agent spends on a ticket, on average")  # fmt: skip
    parser.add_argument("--target", type=float, default=150, help="action p99 to hold, ms")
    parser.add_argument("--tickets", type=int, default=20_000,
                        help="tickets in the database before the run (seeded once)")  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="gunicorn's (sync, as the Procfile runs it)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=1, help="per worker, with gthread")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--spread", type=float, default=3.0,
                        help="seconds over which the pages that hear the same nudge spread "
                             "their reloads (agent.js's SPREAD; 0 as before it)")  # fmt: skip
    args = parser.parse_args()
    steps = sorted(set(args.steps))
    from helpdesk import embedded

    env = bench_env(DATABASE, EMAIL_URL="dummymail://", PUSH_ALLOWED_ORIGINS="",
                    REDIS_URL=embedded.redis_url(db=REDIS_DB))  # fmt: skip
    ensure_database(DATABASE)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")  # DEBUG is off: pages need the manifest
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.tickets - have),
               "--days", "30", "--seed", "1")  # fmt: skip
    output = manage(env, "shell", "-c", SETUP.format(agents=steps[-1]))
    lines = dict(line.split(" ", 1) for line in output.splitlines() if " " in line)
    keys = [(int(user), key) for user, _sep, key in
            (pair.partition(":") for pair in lines["KEYS"].split())]  # fmt: skip
    waiting_sql = WAITING.format(queues=",".join(lines["QUEUES"].split()) or "NULL")
    # Enough waiting tickets for every "next ticket" of the run (each agent takes about
    # one per HANDLE + 10 s), twice over. Seeded active tickets a day old are partly
    # taken, pending or on hold already: seed until enough are waiting.
    needed = int(2 * sum(steps) * args.step_seconds / (args.handle + 10)) * len(args.modes)
    for round_ in range(8):
        waiting = sql(env, waiting_sql)[0][0]
        if waiting >= needed:
            break
        seed = str(int(time.time()) + round_)
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str((needed - waiting) * 4),
               "--open-share", "1", "--days", "1", "--seed", seed)  # fmt: skip
    total, waiting = (sql(env, "SELECT count(*) FROM tickets_ticket")[0][0],
                      sql(env, waiting_sql)[0][0])  # fmt: skip
    print(f"{total:,} tickets, {waiting:,} waiting for 'next ticket'; gunicorn "
          f"{args.web_workers} {args.worker_class} workers x {args.threads} threads, "
          f"{args.processes} client processes")  # fmt: skip
    held: dict[str, int] = {}
    for mode in args.modes:
        push_port = 8676
        mode_env = {**env, "PUSH_URL": f"http://127.0.0.1:{push_port}"} if mode == "push" else env
        with contextlib.ExitStack() as stack:
            web_host = stack.enter_context(gunicorn(mode_env, 8675, workers=args.web_workers,
                                                    threads=args.threads,
                                                    worker_class=args.worker_class))  # fmt: skip
            push_host = (stack.enter_context(uvicorn(mode_env, push_port))
                         if mode == "push" else "")  # fmt: skip
            stack.enter_context(celery(mode_env))
            plan = Plan(mode, steps, args.step_seconds, args.ramp, args.handle,
                        started=time.time() + 10, spread=args.spread)  # fmt: skip
            merged, cpu = run(f"http://{web_host}", f"http://{push_host}", keys, plan,
                              args.processes)  # fmt: skip
        held[mode] = report(plan, merged, cpu, args.target)
    print()
    for mode, count in held.items():
        print(f"{mode}: the box held {count or 'fewer than ' + str(steps[0])} agents with "
              f"action p99 ≤ {args.target:.0f} ms (and no errors)")  # fmt: skip


if __name__ == "__main__":
    main()
