"""Who else has a ticket open ("Ana is viewing", "Ana is replying"), kept in Redis."""

from __future__ import annotations

import json
import time

from core import heartbeats

FRESH_SECONDS = 15
VIEWING, REPLYING = "viewing", "replying"


def _key(ticket_id: int) -> str:
    return f"helpdesk:presence:ticket:{ticket_id}"


def touch(ticket_id: int, *, user_id: int, name: str, state: str) -> list[dict]:
    """Record this person's presence and return everyone else's fresh presence."""
    state = REPLYING if state == REPLYING else VIEWING
    key = _key(ticket_id)
    now = time.time()
    client = heartbeats.client()
    pipe = client.pipeline()
    pipe.hset(key, str(user_id), json.dumps({"name": name, "state": state, "at": now}))
    pipe.expire(key, FRESH_SECONDS * 4)
    pipe.hgetall(key)
    *_, entries = pipe.execute()
    others = []
    for uid, raw in entries.items():
        if int(uid) == user_id:
            continue
        entry = json.loads(raw)
        if now - entry["at"] <= FRESH_SECONDS:
            others.append(entry)
    return sorted(others, key=lambda e: (e["state"] != REPLYING, e["name"]))


def leave(ticket_id: int, *, user_id: int) -> None:
    heartbeats.client().hdel(_key(ticket_id), str(user_id))
