"""Liveness records that the Celery worker and beat write to Redis for /healthz."""

from __future__ import annotations

import logging
import socket
import time
from functools import lru_cache
from typing import cast

import redis
from django.conf import settings

WORKERS_KEY = "helpdesk:heartbeat:workers"
BEAT_KEY = "helpdesk:heartbeat:beat"
logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def record_worker(hostname: str | None = None) -> None:
    now = time.time()
    pipe = client().pipeline()
    pipe.zadd(WORKERS_KEY, {hostname or socket.gethostname(): now})
    # Forget workers that have been silent for a day (renamed or scaled down).
    pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - 86400)
    try:
        pipe.execute()
    except redis.RedisError as exc:
        # Redis restarting must not take the worker down; the next beat retries.
        logger.warning("Could not record the worker heartbeat: %s", exc)


def record_beat() -> None:
    try:
        client().set(BEAT_KEY, time.time(), ex=86400)
    except redis.RedisError as exc:
        # A heartbeat missed while Redis restarts is harmless; a beat that died of it
        # would stop every sweep (a chaos test caught exactly that).
        logger.warning("Could not record the beat heartbeat: %s", exc)


def forget_worker(hostname: str) -> None:
    client().zrem(WORKERS_KEY, hostname)


def live_workers(max_age: float) -> list[str]:
    names = cast("list[bytes]", client().zrangebyscore(WORKERS_KEY, time.time() - max_age, "+inf"))
    return sorted(name.decode() for name in names)


def beat_age() -> float | None:
    value = client().get(BEAT_KEY)
    return None if value is None else max(0.0, time.time() - float(value))
