#!/usr/bin/env python
"""CPU per push stream opening in one process: an agent's stream for the queue page
(``/push/agent/?queues=1``) and for a ticket's page (``?ticket=<reference>``), each
opened through the ASGI application uvicorn serves (the opening gate, every middleware,
the session, the scoping lookups) until its "ready" event, then closed by the client
50 ms later.
Prints the median CPU (time.process_time, every thread of the process) and wall
milliseconds of an opening and its close, after 5 to warm up.

    .venv/bin/python bench/stream_cpu.py --openings 150

It reads bench/agents.py's database (``bench_agents``; run that bench once to seed it)
and writes nothing there but a session. It imports nothing from the apps (only Django,
helpdesk.asgi and bench.common), so the same file can be copied into an older checkout
(A/B).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import bench_env  # noqa: E402

WARMUP = 5
TICKET_SQL = """
SELECT t.reference FROM tickets_ticket t JOIN tickets_queue_teams qt ON qt.queue_id = t.queue_id
JOIN accounts_user u ON u.team_id = qt.team_id
WHERE u.email = %s AND t.status IN ('new', 'open', 'pending') ORDER BY t.id LIMIT 1
"""


async def _open(application: object, query: str, cookie: str) -> tuple[float, float, bool]:
    """CPU ms, wall ms and whether "ready" came, for one stream opened and closed."""
    ready = asyncio.Event()
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await ready.wait()
        # The browser goes away while the stream waits for news, as a page does. (Gone at the
        # very instant its first read starts, a stream was seen to linger until the read's
        # block ended; that is not what an opening costs.)
        await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body" and b"event: ready" in message.get("body", b""):
            ready.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/push/agent/", "raw_path": b"/push/agent/",
             "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"localhost"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 40000), "server": ("localhost", 80)}  # fmt: skip
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.wait_for(application(scope, receive, send), 10)  # type: ignore[operator]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000, wall * 1000, ready.is_set()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="bench_agents")
    parser.add_argument("--agent", default="agent-0@agents.bench.example")
    parser.add_argument("--openings", type=int, default=150, help="per kind of stream")
    args = parser.parse_args()
    from helpdesk import embedded

    os.environ.update(bench_env(args.database, EMAIL_URL="dummymail://", PUSH_ALLOWED_ORIGINS="",
                                REDIS_URL=embedded.redis_url(db=12)))  # fmt: skip
    # helpdesk.asgi sets it before the settings are read, as uvicorn imports it first; here
    # Django is set up before it (to sign the agent in), so the pool is set here.
    opening_at_once = int(os.environ.get("PUSH_OPENING_AT_ONCE", "16"))
    os.environ.setdefault("DATABASE_POOL_SIZE", str(opening_at_once + 4))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.test import Client

    user = get_user_model().objects.filter(email=args.agent).first()
    if user is None:
        raise SystemExit(f"no {args.agent} in {args.database}: run bench/agents.py once")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with connection.cursor() as cursor:
        cursor.execute(TICKET_SQL, [args.agent])
        found = cursor.fetchone()
    if found is None:
        raise SystemExit("no active ticket in the agent's queues")
    connections.close_all()  # the push server's lookups take pooled connections of their own
    from helpdesk.asgi import application

    async def run() -> None:
        for label, query in (("queue page", "queues=1"), ("ticket page", f"ticket={found[0]}")):
            cpu, wall, ready = [], [], 0
            for _ in range(args.openings):
                one_cpu, one_wall, was_ready = await _open(application, query, cookie)
                cpu.append(one_cpu)
                wall.append(one_wall)
                ready += was_ready
            cpu_ms, wall_ms = statistics.median(cpu[WARMUP:]), statistics.median(wall[WARMUP:])
            print(f"{label} stream: CPU median {cpu_ms:.1f} ms, wall median {wall_ms:.1f} ms, "
                  f"ready {ready}/{args.openings}")  # fmt: skip

    asyncio.run(run())


if __name__ == "__main__":
    main()
