#!/usr/bin/env python
"""Live chat benchmark: requesters chatting with agents through the real servers.

gunicorn takes every send (stored in PostgreSQL before it answers), uvicorn serves the
event streams (Redis streams). The chats start spread over RAMP seconds; each agent
accepts the chats offered to them and answers each message; each requester sends
MESSAGES messages about GAP seconds apart (a person reading and typing) and, as the widget
does, asks for its place when the line moves. The client runs in PROCESSES processes
(sharing two HTTP clients each). Prints the delivery time of messages (from the send to
its arrival on the other side's stream: p50/p95/p99), how many were lost or arrived twice,
the stages of a chat's start, and each program's CPU.

    .venv/bin/python bench/chat.py --requesters 500 --agents 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import random
import sys
import time
import uuid
from datetime import datetime
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
    ConnectionSampler,
    CpuSampler,
    bench_env,
    celery,
    ensure_database,
    gunicorn,
    manage,
    percentiles,
    server_sent_events,
    uvicorn,
)

DATABASE = "bench_chat"
# A stream waits as long as it takes for the next event (keepalives come every 15 s).
STREAM_TIMEOUT = httpx.Timeout(30.0, read=60.0)
CSRF = "b" * 64  # the agents' CSRF cookie and header (Django compares the two)

SETUP = """
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY
from accounts import services as accounts
from accounts.models import Team, User
from chat import agents
from chat.models import AgentState, Chat
from tickets.models import Queue
team = Team.objects.filter(name="Bench chat").first() or accounts.team_create(
    actor=None, name="Bench chat", vendor=None)
queue = Queue.objects.get(slug="chat")
queue.teams.add(team)
from tickets.models import Ticket
# A fresh start: the last run's chats end and their tickets are solved (they counted
# toward the agents' load).
Chat.objects.filter(state__in=Chat.LIVE).update(state="ended")
Ticket.objects.filter(channel="chat", status__in=["new", "open"]).update(status="solved")
# Only this run's agents are online (a bigger run's others would be offered chats).
for extra in User.objects.filter(email__endswith="@bench.example").exclude(
        email__in=[f"chat-agent-{{n}}@bench.example" for n in range({agents})]):
    agents.status_set(user=extra, key="offline")
keys = []
for n in range({agents}):
    email = f"chat-agent-{{n}}@bench.example"
    user = User.objects.filter(email=email).first() or accounts.user_create(
        actor=None, email=email, full_name=f"Agent {{n}}", role="agent", team=team,
        languages=["en"], time_zone="UTC", password=None)
    agents.status_set(user=user, key="offline")
    agents.set_limit(actor=user, user=user, limit=6)
    agents.status_set(user=user, key="online")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
print("KEYS " + " ".join(keys))
"""

STATES = """
from django.db.models import Count
from chat.models import Chat
print(dict(Chat.objects.filter(created_at__gte=__import__("django.utils.timezone").utils.timezone.now()
      - __import__("datetime").timedelta(hours=1)).values_list("state").annotate(n=Count("id"))))
"""


class Tally:
    """One direction's lines. A line's client id carries the time it was sent (wall clock,
    in microseconds), so a line sent in one client process and heard in another is timed
    all the same."""

    def __init__(self) -> None:
        self.sent: set[str] = set()
        self.received: dict[str, int] = {}
        self.delays: list[float] = []
        self.sent_at: list[float] = []  # when each delivered line was sent (wall clock)
        self.errors = 0
        self.counts: dict[str, int] = {}

    def new_id(self, prefix: str) -> str:
        client = f"{prefix}-{uuid.uuid4().hex[:8]}-{time.time_ns() // 1000}"
        self.sent.add(client)
        return client

    def arrive(self, client: str) -> None:
        sent_us = client.rpartition("-")[2]
        if not sent_us.isdigit():
            return
        self.received[client] = self.received.get(client, 0) + 1
        if self.received[client] == 1:
            self.delays.append((time.time_ns() // 1000 - int(sent_us)) / 1000)
            self.sent_at.append(int(sent_us) / 1e6)

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def merge(self, other: Tally) -> None:
        self.sent |= other.sent
        for client, n in other.received.items():
            self.received[client] = self.received.get(client, 0) + n
        self.delays += other.delays
        self.sent_at += other.sent_at
        self.errors += other.errors
        for what, n in other.counts.items():
            self.counts[what] = self.counts.get(what, 0) + n


TIMES: dict[str, list[float]] = {}


def timed(what: str, seconds: float) -> None:
    TIMES.setdefault(what, []).append(seconds * 1000)


class Clients:
    """A client process's two HTTP clients, shared by all its agents and requesters (one
    client each would cost the benchmark more CPU than the servers): one for the web
    server, one for the push server's streams; who is who travels in each call's headers."""

    def __init__(self, web: str, push: str) -> None:
        unlimited = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        self.web = httpx.AsyncClient(base_url=web, timeout=30, limits=unlimited)
        self.streams = httpx.AsyncClient(base_url=push, timeout=STREAM_TIMEOUT, limits=unlimited)
        self.origin = web

    async def close(self) -> None:
        await self.web.aclose()
        await self.streams.aclose()


async def events(client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """(kind, data) of a stream's events, reconnecting from the last id if it drops."""
    last = ""
    while True:
        sent = {**(headers or {}), **({"Last-Event-ID": last} if last else {})}
        opening = time.perf_counter()
        try:
            async with client.stream("GET", url, headers=sent) as response:
                timed("stream opening (to its headers)", time.perf_counter() - opening)
                if response.status_code != 200:
                    await response.aread()
                    await asyncio.sleep(0.5)
                    continue
                async for event in server_sent_events(response.aiter_lines()):
                    last = event.get("id", last)
                    yield event["event"], json.loads(event.get("data", "{}"))
        except httpx.HTTPError:
            await asyncio.sleep(0.5)


async def ask(client: httpx.AsyncClient, url: str, tally: Tally,
              **kwargs: Any) -> httpx.Response | None:  # fmt: skip
    """A page's ask for what came before its stream began (or what changed): unanswered
    (no answer, or a 5xx), again 3 s later, up to 3 times, as the pages do
    (static/chat/agent.js, widget.js); None if it never was. Raised instead, it ended the
    listener: a requester or a chat's agent heard nothing more."""
    for attempt in range(4):
        if attempt:
            await asyncio.sleep(3)
        try:
            answer = await client.get(url, **kwargs)
        except httpx.TransportError:
            tally.count("asks unanswered")
            continue
        if answer.status_code < 500:
            return answer
        tally.count("asks unanswered")
    return None


async def send(client: httpx.AsyncClient, url: str, tally: Tally, **kwargs: Any) -> httpx.Response:
    """POST a line; on a dropped connection (a kept-alive one the server closed just then)
    again with the same client id, as the widget does."""
    for _retry in range(2):
        try:
            return await client.post(url, **kwargs)
        except httpx.TransportError:
            tally.count("send retried")
    return await client.post(url, **kwargs)


async def agent(clients: Clients, key: str, to_agent: Tally, to_requester: Tally,
                ready: asyncio.Event) -> None:  # fmt: skip
    cookie = {"Cookie": f"sessionid={key}; csrftoken={CSRF}"}
    posting = {**cookie, "X-CSRFToken": CSRF, "Referer": clients.origin + "/"}
    chats: set[int] = set()

    async def work_chat(pk: int) -> None:
        seen: set[int] = set()

        async def handle(line: dict) -> None:
            # Each line once, whether it came pushed or fetched on "ready".
            if line["id"] in seen:
                return
            seen.add(line["id"])
            if line.get("from") != "requester" or not line.get("client"):
                return
            to_agent.arrive(line["client"])
            answer = await send(clients.web, f"/chat/{pk}/send/", to_agent, headers=posting,
                                json={"body": f"Re: {line['body']}",
                                      "client_id": to_requester.new_id("a")})  # fmt: skip
            if answer.status_code != 201:
                to_requester.errors += 1

        async for kind, data in events(clients.streams, f"/push/chat/{pk}/", cookie):
            if kind == "ready":  # as the page does: what came before, from the database
                after = {"after": max(seen, default=0)}
                fetched = await ask(clients.web, f"/chat/{pk}/messages/", to_agent,
                                    headers=cookie, params=after)  # fmt: skip
                if fetched is None or not fetched.is_success:
                    continue
                for line in fetched.json().get("messages", []):
                    await handle(line)
            elif kind == "message":
                await handle(data)

    async for kind, data in events(clients.streams, "/push/agent/", cookie):
        if kind == "ready":
            ready.set()
        if kind == "offer" and data["chat"] not in chats:
            to_agent.count("offers")
            offered = datetime.fromisoformat(data["expires_at"]).timestamp() - data["seconds"]
            timed("offer made to offer heard", time.time() - offered)
            t = time.perf_counter()
            answer = await clients.web.post(f"/chat/{data['chat']}/accept/", headers=posting)
            timed("accept (POST)", time.perf_counter() - t)
            to_agent.count(f"accept {answer.status_code}")
            if answer.status_code == 200:
                chats.add(data["chat"])
                asyncio.create_task(work_chat(data["chat"]))


class Plan(NamedTuple):
    messages: int  # per requester
    ramp: float  # the chats start spread over this many seconds
    gap: float  # seconds between a requester's messages, on average


async def requester(clients: Clients, n: int, plan: Plan, to_agent: Tally,
                    to_requester: Tally) -> float:  # fmt: skip
    """Start a chat, wait for an agent, send the messages; returns the wait in line (s)."""
    began = time.perf_counter()
    await asyncio.sleep(random.uniform(0, plan.ramp))  # the starts spread over the ramp
    began = time.perf_counter()
    # With a start key, as the widget: a start sent again on a dropped connection gets
    # the chat the first try made.
    started = await send(clients.web, "/help/chat/start/", to_agent, json={
        "name": f"Requester {n}", "email": f"r{n}-{uuid.uuid4().hex[:8]}@bench.example",
        "message": "Hello, I need help", "language": "en",
        "client_id": uuid.uuid4().hex, "start_key": uuid.uuid4().hex})  # fmt: skip
    if started.status_code != 201:
        to_agent.errors += 1
        raise RuntimeError(f"start answered {started.status_code}")
    token = started.json()["token"]
    timed("start (POST)", time.perf_counter() - began)
    answered = asyncio.Event()
    seen: set[int] = set()

    all_heard = asyncio.Event()

    def hear(line: dict) -> None:
        if line["id"] not in seen and line.get("from") == "agent":
            seen.add(line["id"])
            answered.set()
            to_requester.arrive(line.get("client", ""))
            if len(seen) >= plan.messages + 1:
                all_heard.set()

    async def refresh() -> None:  # as the widget does: the state and what it has not seen
        state = await ask(clients.web, f"/help/chat/s/{token}/", to_agent,
                          params={"after": max(seen, default=0)})  # fmt: skip
        if state is not None and state.status_code == 200:
            body = state.json()
            if body["state"] == "active":
                answered.set()
            for line in body["messages"]:
                hear(line)

    line_timer: list[asyncio.Task] = []
    connected: list[bool] = []
    last_line = [0.0]

    async def line_moved() -> None:  # as the widget does: later, at most every 10 s
        await asyncio.sleep(max(random.uniform(2, 6), last_line[0] + 10 - time.monotonic()))
        line_timer.clear()
        last_line[0] = time.monotonic()
        await refresh()

    async def listen() -> None:
        async for kind, data in events(clients.streams, f"/push/c/{token}/"):
            if kind == "ready" and not connected:
                connected.append(True)
                timed("start to the requester's stream ready", time.perf_counter() - began)
            if kind in ("ready", "state"):
                await refresh()
            elif kind == "line" and not answered.is_set() and not line_timer:
                line_timer.append(asyncio.create_task(line_moved()))
            elif kind == "message":
                hear(data)

    listener = asyncio.create_task(listen())
    try:
        await asyncio.wait_for(answered.wait(), timeout=120)
        waited = time.perf_counter() - began
        for m in range(plan.messages):
            await asyncio.sleep(random.uniform(plan.gap / 2, plan.gap * 3 / 2))  # reading, typing
            line = {"body": f"Message {m} from {n}", "client_id": to_agent.new_id(f"r{n}")}
            answer = await send(clients.web, f"/help/chat/s/{token}/messages/", to_agent,
                                json=line)  # fmt: skip
            if answer.status_code != 201:
                to_agent.errors += 1
        # Every line answered (the first one's too) before it leaves, or 30 s: what has not
        # arrived by then counts as lost.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_heard.wait(), timeout=30)
        return waited
    finally:
        listener.cancel()


async def client_process(web: str, push: str, keys: list[str], requesters: range,
                         plan: Plan, barrier: Any) -> dict[str, Any]:  # fmt: skip
    clients = Clients(web, push)
    to_agent, to_requester = Tally(), Tally()

    async def lag() -> None:  # how late this process's own loop runs (it must not be the limit)
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.1)
            timed("client loop lag", time.perf_counter() - t - 0.1)

    lagging = asyncio.create_task(lag())
    readies = [asyncio.Event() for _key in keys]
    agent_tasks = [asyncio.create_task(agent(clients, key, to_agent, to_requester, ready))
                   for key, ready in zip(keys, readies, strict=True)]  # fmt: skip
    # The agents' streams are open (their signs of life) in every process before the
    # first chat starts.
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), timeout=120)
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    started = time.perf_counter()
    results = await asyncio.gather(*(requester(clients, n, plan, to_agent, to_requester)
                                     for n in requesters), return_exceptions=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    # The agents here may be answering requesters of the other processes: they stop when
    # every process's requesters are done.
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    for task in [*agent_tasks, lagging]:
        task.cancel()
    await asyncio.gather(*agent_tasks, lagging, return_exceptions=True)
    await clients.close()
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    return {"to_agent": to_agent, "to_requester": to_requester, "elapsed": elapsed,
            "times": TIMES,
            "failures": failures,
            "waits": [r for r in results if isinstance(r, float)]}  # fmt: skip


def _client_main(web: str, push: str, keys: list[str], requesters: range, plan: Plan,
                 barrier: Any, results: Any) -> None:  # fmt: skip
    results.put(asyncio.run(client_process(web, push, keys, requesters, plan, barrier)))


def run(web: str, push: str, keys: list[str], requesters: int, plan: Plan,
        processes: int) -> dict[str, Any]:  # fmt: skip
    """The agents and requesters split over ``processes`` client processes; their tallies
    merged."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(
            target=_client_main,
            args=(
                web,
                push,
                keys[i::processes],
                range(i, requesters, processes),
                plan,
                barrier,
                results,
            ),
        )  # fmt: skip
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    parts = []
    while len(parts) < processes:
        try:
            parts.append(results.get(timeout=5))
        except queue.Empty:
            if any(worker.exitcode not in (None, 0) for worker in workers):
                raise SystemExit("A client process failed (its traceback is above).") from None
    for worker in workers:
        worker.join()
    merged: dict[str, Any] = {"to_agent": Tally(), "to_requester": Tally(), "elapsed": 0.0,
                              "failures": [], "waits": []}  # fmt: skip
    for part in parts:
        merged["to_agent"].merge(part["to_agent"])
        merged["to_requester"].merge(part["to_requester"])
        merged["elapsed"] = max(merged["elapsed"], part["elapsed"])
        merged["failures"] += part["failures"]
        merged["waits"] += part["waits"]
        for k, v in part["times"].items():
            merged.setdefault("times", {}).setdefault(k, []).extend(v)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requesters", type=int, default=500)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5, help="messages per requester")
    parser.add_argument("--ramp", type=float, default=60,
                        help="seconds over which the chats start")  # fmt: skip
    parser.add_argument("--gap", type=float, default=30,
                        help="seconds between a requester's messages, on average")  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2,
                        help="client processes for the agents and requesters")  # fmt: skip
    args = parser.parse_args()
    env = bench_env(DATABASE, HELP_CENTER_RATE="1000000/m", CHAT_OFFER_SECONDS="120",
                    PUSH_ALLOWED_ORIGINS="")  # fmt: skip
    ensure_database(DATABASE)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")  # DEBUG is off: pages need the manifest
    output = manage(env, "shell", "-c", SETUP.format(agents=args.agents))
    keys = next(line for line in output.splitlines() if line.startswith("KEYS ")).split()[1:]
    # A worker and beat as in production: the sweep offers chats that waited.
    with gunicorn(env, 8765, workers=args.web_workers, threads=4) as web_host, uvicorn(
            env, 8766) as push_host, celery(env):  # fmt: skip
        with CpuSampler() as cpu, ConnectionSampler(DATABASE) as connections:
            plan = Plan(args.messages, args.ramp, args.gap)
            # The last chat starts by then and is accepted within seconds (agents at ease).
            ramp_ends = time.time() + args.ramp + 15
            result = run(f"http://{web_host}", f"http://{push_host}", keys, args.requesters,
                         plan, args.processes)  # fmt: skip
    print(
        f"{args.requesters} requesters, {args.agents} agents, {args.messages} messages each "
        f"~{args.gap:.0f} s apart, starts over {args.ramp:.0f} s: {result['elapsed']:.0f} s "
        f"({args.processes} client processes)"
    )
    if result["failures"]:
        print(f"  {len(result['failures'])} requesters failed, e.g. {result['failures'][0]}")
    waits = percentiles([w * 1000 for w in result["waits"]])
    print(f"  Start to an agent's acceptance: p50 {waits['p50']:.0f} ms, "
          f"p99 {waits['p99']:.0f} ms, max {waits['max']:.0f} ms")  # fmt: skip
    for k, v in result.get("times", {}).items():
        st = percentiles(v)
        print(f"  {k}: n {st['n']} p50 {st['p50']:.0f} p99 {st['p99']:.0f} max {st['max']:.0f}")
    to_agent, to_requester = result["to_agent"], result["to_requester"]
    for label, tally in (("requester → agent", to_agent), ("agent → requester", to_requester)):
        stats = percentiles(tally.delays)
        steady = percentiles([delay for delay, at in zip(tally.delays, tally.sent_at, strict=True)
                              if at > ramp_ends])  # fmt: skip
        lost = len(tally.sent - tally.received.keys())
        twice = sum(1 for count in tally.received.values() if count > 1)
        print(
            f"  {label}: {stats['n']} delivered of {len(tally.sent)} sent; "
            f"p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms, p99 {stats['p99']:.0f} ms, "
            f"max {stats['max']:.0f} ms; lost {lost}, twice {twice}, errors {tally.errors}"
        )
        print(
            f"    sent after the ramp: {steady['n']}; p50 {steady['p50']:.0f} ms, "
            f"p95 {steady['p95']:.0f} ms, p99 {steady['p99']:.0f} ms, max {steady['max']:.0f} ms"
        )
    print(f"  CPU (share of one core): {cpu.summary()}")
    print(f"  Offers and accepts: {to_agent.counts}")
    states = manage(env, "shell", "-c", STATES)
    print(f"  Chats by state at the end: {states.strip().splitlines()[-1]}")
    print(f"  Database connections at most: {connections.summary()}")


if __name__ == "__main__":
    main()
