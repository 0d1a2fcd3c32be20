"""Push to browsers: events on Redis streams, read by the push server's event streams.

Why streams and server-sent events (docs/architecture.md, "Live chat and push"): an
event is appended to a Redis stream (``XADD``) after the change it reports commits, and
each browser reads the streams of its topics with ``XREAD`` from where it left off. The
position travels in the SSE event's ``id``, so the browser's own reconnection sends it
back as ``Last-Event-ID`` and the reader resumes without a gap, whether the connection
dropped or the push server restarted: the events are in Redis, not in the server.

A topic names what an event is about and decides who may read it; the app that serves
the stream checks the reader against the same scoping as its pages before it reads a
topic (``user:<id>``: one person's own; ``queue:<id>``: whoever sees that queue;
``chat:<id>``: that chat's requester and whoever sees its ticket).

An event is a nudge or a small payload, never the only copy: a message is stored before
it is pushed, and a reader that reconnects fetches what it has not seen from the
database, so an event lost between the commit and the ``XADD`` (a crash there) costs a
moment's delay, never data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

import redis
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core import heartbeats

logger = logging.getLogger(__name__)

PREFIX = "helpdesk:push:"
# Each topic keeps its last thousand events (``MAXLEN ~``) for a day: enough for any
# reconnect; a reader further behind than that reloads its page's data instead.
MAXLEN = 1000
TTL_SECONDS = 86400
LATEST = "$"

T = TypeVar("T")
# The most topics a position names (and ``decode_position`` reads): a queue page's stream
# follows up to 200 queues (chat.push_views.MAX_QUEUES), besides its person's and chats'.
MAX_TOPICS = 256


def key(topic: str) -> str:
    return PREFIX + topic


def publish(topic: str, kind: str, data: dict[str, Any] | None = None) -> None:
    """Push ``kind`` with ``data`` to the topic's readers once the current transaction
    commits (at once outside one): never an event about a change that rolled back."""
    payload = json.dumps({"kind": kind, "data": data or {}}, cls=DjangoJSONEncoder)
    transaction.on_commit(lambda: _append([(topic, payload)]))


def publish_many(topics: Iterable[str], kind: str, data: dict[str, Any] | None = None) -> None:
    payload = json.dumps({"kind": kind, "data": data or {}}, cls=DjangoJSONEncoder)
    entries = [(topic, payload) for topic in topics]
    if entries:
        transaction.on_commit(lambda: _append(entries))


# A nudge ("this queue changed", "the line moved") goes out at most once per this many
# milliseconds per topic: readers answer one by asking again after at least a second
# (static/chat/agent.js, widget.js), which then sees whatever a dropped nudge would have
# told them, so nothing is missed, and a busy queue does not push hundreds a second to
# every reader.
NUDGE_WINDOW_MS = 500


def nudge(topics: Iterable[str], kind: str) -> None:
    """Push a nudge (no data) to these topics after commit, unless one went out in the
    last ``NUDGE_WINDOW_MS`` (see above)."""
    topics = list(dict.fromkeys(topics))
    if topics:
        transaction.on_commit(lambda: _nudge_now(topics, kind))


def _nudge_now(topics: list[str], kind: str) -> None:
    try:
        client = heartbeats.client()
        pipe = client.pipeline(transaction=False)
        for topic in topics:
            pipe.set(PREFIX + "nudged:" + topic, 1, nx=True, px=NUDGE_WINDOW_MS)
        due = [topic for topic, fresh in zip(topics, pipe.execute(), strict=True) if fresh]
    except redis.RedisError as exc:
        logger.warning("Could not push a nudge: %s", exc)
        return
    payload = json.dumps({"kind": kind, "data": {}})
    if due:
        _append([(topic, payload) for topic in due])


def publish_now(topic: str, kind: str, data: dict[str, Any] | None = None) -> None:
    """Push at once, for what is not kept in the database (who has a ticket open): no
    transaction to wait for, and no database connection (safe on the push server's loop)."""
    _append([(topic, json.dumps({"kind": kind, "data": data or {}}, cls=DjangoJSONEncoder))])


def _append(entries: list[tuple[str, str]]) -> None:
    pipe = heartbeats.client().pipeline(transaction=False)
    for topic, payload in entries:
        pipe.xadd(key(topic), {"e": payload}, maxlen=MAXLEN, approximate=True)
        pipe.expire(key(topic), TTL_SECONDS)
    try:
        pipe.execute()
    except redis.RedisError as exc:
        # The change is committed; readers catch up from the database when they
        # reconnect (see the module's docstring).
        logger.warning("Could not push %d event(s): %s", len(entries), exc)


def forget(topics: Iterable[str]) -> None:
    """Delete these topics' events (their copies of data being erased)."""
    keys = [key(topic) for topic in topics]
    if keys:
        heartbeats.client().delete(*keys)


def latest_ids(topics: Iterable[str]) -> dict[str, str]:
    """Each topic's newest event id ("0-0" when it has none): where a reader that has
    just read the database starts, so it sees only what comes after."""
    topics = list(topics)
    pipe = heartbeats.client().pipeline(transaction=False)
    for topic in topics:
        pipe.xrevrange(key(topic), count=1)
    positions = {}
    for topic, newest in zip(topics, pipe.execute(), strict=True):
        positions[topic] = newest[0][0].decode() if newest else "0-0"
    return positions


def encode_position(positions: dict[str, str]) -> str:
    """The SSE event id: every topic's position, in a form ``decode_position`` reads."""
    return " ".join(f"{topic}={xid}" for topic, xid in sorted(positions.items()))


def decode_position(value: str, topics: Iterable[str]) -> dict[str, str]:
    """Positions from a ``Last-Event-ID``, for these topics only (a forged or stale id
    cannot add a topic); a topic it does not name starts at the newest event."""
    given: dict[str, str] = {}
    for part in value.split()[:MAX_TOPICS]:
        topic, _, xid = part.partition("=")
        if _valid_id(xid):
            given[topic] = xid
    return {topic: given.get(topic, LATEST) for topic in topics}


def _valid_id(xid: str) -> bool:
    ms, dash, seq = xid.partition("-")
    return bool(dash) and ms.isdigit() and seq.isdigit() and len(xid) <= 41


# ------------------------------------------------------------------ the reading side

# One per event loop, kept only as long as its loop (a client belongs to its loop).
_async_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def async_client() -> Any:
    """One asyncio Redis client per event loop (the push server has one loop)."""
    import redis.asyncio as aioredis
    from django.conf import settings

    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # Reads block up to a keepalive's time (15 s): no socket timeout shorter than that.
        # Each open stream's read holds a connection while it waits: as many as streams.
        client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2,
                                         socket_timeout=60,
                                         max_connections=settings.PUSH_MAX_STREAMS)  # fmt: skip
        _async_clients[loop] = client
    return client


async def _newest(topics: list[str]) -> list[Any]:
    async with async_client().pipeline(transaction=False) as pipe:
        for topic in topics:
            pipe.xrevrange(key(topic), count=1)
        return await pipe.execute()


async def _cancellable(command: Coroutine[Any, Any, T]) -> T:
    """Await a Redis command so that cancelling the caller always ends the wait.

    redis-py sends each command under ``asyncio.wait_for``, which on Python 3.11 drops a
    cancellation that arrives just as the send completes (fixed in 3.12): the task then
    goes on to block in ``XREAD``, and a stream whose browser has left went on reading
    until its lifetime ended, five minutes later (41 of 60 streams cancelled at random
    within 4 ms of their start; docs/benchmarks.md). Run here, the command is a task of its own,
    awaited through a shield: the caller's cancellation always reaches the caller, and
    the command is cancelled too; if it drops that, it ends by its own block time and
    gives its connection back."""
    task = asyncio.ensure_future(command)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        task.add_done_callback(_forget)
        raise


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: not logged as "never retrieved"


async def resolve(positions: dict[str, str]) -> None:
    """Turn "$" ("after the newest now") into that event's id, in place: two reads in a
    row could otherwise each mean a different "now" and skip what came between."""
    unresolved = [topic for topic, xid in positions.items() if xid == LATEST]
    if not unresolved:
        return
    # One round trip for all of them (a queue page's stream has one topic per queue).
    answers = await _cancellable(_newest(unresolved))
    for topic, newest in zip(unresolved, answers, strict=True):
        positions[topic] = newest[0][0].decode() if newest else "0-0"


async def read(positions: dict[str, str], *, block_ms: int) -> list[tuple[str, str, dict]]:
    """Events after ``positions`` on their topics, waiting up to ``block_ms`` for the first:
    ``(topic, event id, {"kind", "data"})`` in order within each topic. ``positions`` is
    updated to what was read, "$" resolved, so the next call goes on from there."""
    if not positions:
        return []
    await resolve(positions)
    streams = {key(topic): xid for topic, xid in positions.items()}
    answer = await _cancellable(async_client().xread(streams, block=block_ms, count=200))
    events = []
    for stream_key, entries in answer or []:
        topic = stream_key.decode()[len(PREFIX) :]
        for xid, fields in entries:
            xid = xid.decode()
            positions[topic] = xid
            try:
                events.append((topic, xid, json.loads(fields[b"e"])))
            except (KeyError, ValueError):
                continue
    return events
