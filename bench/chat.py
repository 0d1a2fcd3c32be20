#!/usr/bin/env python
"""Live chat benchmark: requesters chatting with agents through the real servers.

gunicorn takes every send (stored in PostgreSQL before it answers), uvicorn serves the
event streams (Redis streams); each agent accepts the chats offered to them and answers
each message, each requester sends MESSAGES messages a few seconds apart. Prints the
delivery time of messages (from the send to its arrival on the other side's stream:
p50/p95/p99), how many were lost or arrived twice, and the servers' CPU.

    .venv/bin/python bench/chat.py --requesters 500 --agents 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

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


class Tally:
    def __init__(self) -> None:
        self.sent: dict[str, float] = {}  # client id -> when the send started
        self.received: dict[str, int] = {}
        self.delays: list[float] = []
        self.errors = 0

    def send(self, client: str) -> None:
        self.sent[client] = time.perf_counter()

    def arrive(self, client: str) -> None:
        if client not in self.sent:
            return
        self.received[client] = self.received.get(client, 0) + 1
        if self.received[client] == 1:
            self.delays.append((time.perf_counter() - self.sent[client]) * 1000)


async def events(client: httpx.AsyncClient, url: str, **kwargs):  # type: ignore[no-untyped-def]
    """(kind, data) of a stream's events, reconnecting from the last id if it drops."""
    last = ""
    while True:
        headers = {"Last-Event-ID": last} if last else {}
        try:
            async with client.stream("GET", url, headers=headers, **kwargs) as response:
                event: dict[str, str] = {}
                async for line in response.aiter_lines():
                    if not line:
                        if "event" in event:
                            last = event.get("id", last)
                            yield event["event"], json.loads(event.get("data", "{}"))
                        event = {}
                    elif not line.startswith(":"):
                        field, _sep, value = line.partition(": ")
                        event[field] = value
        except httpx.HTTPError:
            await asyncio.sleep(0.5)


async def agent(web: str, push: str, key: str, to_agent: Tally, to_requester: Tally,
                stop: asyncio.Event) -> None:  # fmt: skip
    cookies = {"sessionid": key, "csrftoken": CSRF}
    headers = {"X-CSRFToken": CSRF, "Referer": web + "/"}
    async with httpx.AsyncClient(base_url=web, cookies=cookies, headers=headers,
                                 timeout=30) as client, httpx.AsyncClient(
            cookies=cookies, timeout=STREAM_TIMEOUT) as streams:  # fmt: skip
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
                reply = f"a-{uuid.uuid4().hex}"
                to_requester.send(reply)
                answer = await client.post(f"/chat/{pk}/send/", json={
                    "body": f"Re: {line['body']}", "client_id": reply})  # fmt: skip
                if answer.status_code != 201:
                    to_requester.errors += 1

            async for kind, data in events(streams, f"{push}/push/chat/{pk}/"):
                if stop.is_set():
                    return
                if kind == "ready":  # as the page does: what came before, from the database
                    fetched = await client.get(f"/chat/{pk}/messages/",
                                               params={"after": max(seen, default=0)})  # fmt: skip
                    for line in fetched.json().get("messages", []) if fetched.is_success else []:
                        await handle(line)
                elif kind == "message":
                    await handle(data)

        async for kind, data in events(streams, f"{push}/push/agent/"):
            if stop.is_set():
                return
            if kind == "offer" and data["chat"] not in chats:
                answer = await client.post(f"/chat/{data['chat']}/accept/")
                if answer.status_code == 200:
                    chats.add(data["chat"])
                    asyncio.create_task(work_chat(data["chat"]))


async def requester(web: str, push: str, n: int, messages: int, to_agent: Tally,
                    to_requester: Tally, ready: asyncio.Event) -> None:  # fmt: skip
    async with httpx.AsyncClient(base_url=web, timeout=30) as client, httpx.AsyncClient(
            timeout=STREAM_TIMEOUT) as streams:  # fmt: skip
        started = await client.post("/help/chat/start/", json={
            "name": f"Requester {n}", "email": f"r{n}-{uuid.uuid4().hex[:8]}@bench.example",
            "message": "Hello, I need help", "language": "en",
            "client_id": uuid.uuid4().hex})  # fmt: skip
        if started.status_code != 201:
            to_agent.errors += 1
            return
        token = started.json()["token"]
        answered = asyncio.Event()

        seen: set[int] = set()

        def hear(line: dict) -> None:
            if line["id"] not in seen and line.get("from") == "agent":
                seen.add(line["id"])
                answered.set()
                to_requester.arrive(line.get("client", ""))

        async def listen() -> None:
            async for kind, data in events(streams, f"{push}/push/c/{token}/"):
                if kind == "ready":  # as the widget does: what happened before, from the database
                    state = await client.get(f"/help/chat/s/{token}/",
                                             params={"after": max(seen, default=0)})  # fmt: skip
                    if state.status_code == 200:
                        body = state.json()
                        if body["state"] == "active":
                            answered.set()
                        for line in body["messages"]:
                            hear(line)
                if kind == "state":
                    answered.set()
                if kind == "message":
                    hear(data)

        listener = asyncio.create_task(listen())
        await ready.wait()
        await asyncio.wait_for(answered.wait(), timeout=120)
        for m in range(messages):
            await asyncio.sleep(random.uniform(2, 4))
            client_id = f"r-{n}-{m}-{uuid.uuid4().hex[:6]}"
            to_agent.send(client_id)
            answer = await client.post(f"/help/chat/s/{token}/messages/", json={
                "body": f"Message {m} from {n}", "client_id": client_id})  # fmt: skip
            if answer.status_code != 201:
                to_agent.errors += 1
        await asyncio.sleep(5)
        listener.cancel()


async def run(web: str, push: str, keys: list[str], requesters: int,
              messages: int) -> tuple[Tally, Tally, float]:  # fmt: skip
    to_agent, to_requester, stop, ready = Tally(), Tally(), asyncio.Event(), asyncio.Event()
    agent_tasks = [asyncio.create_task(agent(web, push, key, to_agent, to_requester, stop))
                   for key in keys]  # fmt: skip
    await asyncio.sleep(3)  # the agents' streams open (their signs of life)
    started = time.perf_counter()
    requester_tasks = [asyncio.create_task(requester(web, push, n, messages, to_agent,
                                                     to_requester, ready))
                       for n in range(requesters)]  # fmt: skip
    ready.set()
    results = await asyncio.gather(*requester_tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        print(f"  {len(failures)} requesters failed, e.g. {failures[0]!r}")
    stop.set()
    for task in agent_tasks:
        task.cancel()
    return to_agent, to_requester, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requesters", type=int, default=500)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5, help="messages per requester")
    parser.add_argument("--web-workers", type=int, default=4)
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
            to_agent, to_requester, elapsed = asyncio.run(
                run(
                    f"http://{web_host}",
                    f"http://{push_host}",
                    keys,
                    args.requesters,
                    args.messages,
                )
            )
    print(
        f"{args.requesters} requesters, {args.agents} agents, {args.messages} messages each, "
        f"{elapsed:.0f} s"
    )
    for label, tally in (("requester → agent", to_agent), ("agent → requester", to_requester)):
        stats = percentiles(tally.delays)
        lost = len(tally.sent) - len(tally.received)
        twice = sum(1 for count in tally.received.values() if count > 1)
        print(
            f"  {label}: {stats['n']} delivered of {len(tally.sent)} sent; "
            f"p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms, p99 {stats['p99']:.0f} ms, "
            f"max {stats['max']:.0f} ms; lost {lost}, twice {twice}, errors {tally.errors}"
        )
    print(f"  CPU (share of one core): {cpu.summary()}")
    print(f"  Database connections at most: {connections.summary()}")


if __name__ == "__main__":
    main()
