"""Who else has a ticket open ("Ana is viewing", "Ana is replying"), kept in Redis.

A change (someone opens the ticket, starts or stops replying, leaves) is announced on the
ticket's push topic, whose readers (agents with the ticket open, on the push server)
then ask again who is there. With push, a person's entry is kept fresh by their open
stream (``keep``) and removed when it closes; without push, by the page asking every 5 s.
"""

from __future__ import annotations

import json
import time
from typing import Any

from core import heartbeats, push

FRESH_SECONDS = 15
VIEWING, REPLYING = "viewing", "replying"


def _key(ticket_id: int) -> str:
    return f"helpdesk:presence:ticket:{ticket_id}"


def topic(ticket_id: int) -> str:
    """The ticket's push topic: who is there changed, or a message came in."""
    return f"ticket:{ticket_id}"


def _announce(ticket_id: int, user_id: int) -> None:
    push.publish_now(topic(ticket_id), "presence", {"by": user_id})


def touch(ticket_id: int, *, user_id: int, name: str, state: str) -> list[dict]:
    """Record this person's presence and return everyone else's fresh presence."""
    state = REPLYING if state == REPLYING else VIEWING
    key = _key(ticket_id)
    now = time.time()
    client = heartbeats.client()
    pipe = client.pipeline()
    pipe.hget(key, str(user_id))
    pipe.hset(key, str(user_id), json.dumps({"name": name, "state": state, "at": now}))
    pipe.expire(key, FRESH_SECONDS * 4)
    pipe.hgetall(key)
    before, *_, entries = pipe.execute()
    previous = json.loads(before) if before else None
    if (previous is None or previous["state"] != state
            or now - previous["at"] > FRESH_SECONDS):  # fmt: skip
        _announce(ticket_id, user_id)
    return _fresh_others(entries, user_id, now)


def _fresh_others(entries: dict, user_id: int, now: float) -> list[dict]:
    others = []
    for uid, raw in entries.items():
        if int(uid) == user_id:
            continue
        entry = json.loads(raw)
        if now - entry["at"] <= FRESH_SECONDS:
            others.append(entry)
    return sorted(others, key=lambda e: (e["state"] != REPLYING, e["name"]))


# A fresh entry (their page is open: a reconnect) keeps its state, they may be replying,
# and is made fresh again; a new or stale one says "viewing". Returns whether there was a
# fresh entry, and everyone's entries.
_ARRIVE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local now = tonumber(ARGV[2])
local fresh = 0
local entry
if raw then
  entry = cjson.decode(raw)
  if now - entry['at'] <= tonumber(ARGV[4]) then fresh = 1 end
end
if fresh == 1 then
  entry['at'] = now
else
  entry = {name = ARGV[3], state = 'viewing', at = now}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {fresh, redis.call('HGETALL', KEYS[1])}
"""


def arrive(ticket_id: int, *, user_id: int, name: str) -> list[dict]:
    """A page on the ticket has opened its push stream: record this person as there (in
    the state their entry has, "viewing" if none) and return everyone else's fresh
    presence; the stream hands it to the page, which need not ask (``touch``)."""
    now = time.time()
    fresh, flat = heartbeats.client().eval(_ARRIVE, 1, _key(ticket_id), str(user_id),
                                           repr(now), name, str(FRESH_SECONDS),
                                           str(FRESH_SECONDS * 4))  # fmt: skip
    if not fresh:
        _announce(ticket_id, user_id)
    entries = {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}
    return _fresh_others(entries, user_id, now)


# In one step, so a keep never writes back a state the page has just changed.
_KEEP = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local entry = cjson.decode(raw)
  entry['at'] = tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return 0
"""


def keep(ticket_id: int, *, user_id: int) -> None:
    """Keep this person's entry fresh (their push stream on the ticket is open); nothing
    if they have none (the page records it when it opens)."""
    heartbeats.client().eval(_KEEP, 1, _key(ticket_id), str(user_id), repr(time.time()),
                             str(FRESH_SECONDS * 4))  # fmt: skip


def queue_keep(pipe: Any, ticket_id: int, *, user_id: int, at: float) -> None:
    """``keep`` queued on a pipeline (sync or asyncio): the push server keeps the entries
    of all its open streams in one round trip."""
    pipe.eval(_KEEP, 1, _key(ticket_id), str(user_id), repr(at), str(FRESH_SECONDS * 4))


def leave(ticket_id: int, *, user_id: int) -> None:
    if heartbeats.client().hdel(_key(ticket_id), str(user_id)):
        _announce(ticket_id, user_id)
