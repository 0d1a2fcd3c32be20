"""The state of each part the helpdesk needs, for /healthz and `make run`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection

from core import heartbeats


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a health check reports failures, it does not raise
        return {"ok": False, "error": type(exc).__name__}
    result.setdefault("ok", True)
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _redis() -> dict[str, Any]:
    heartbeats.client().ping()
    return {}


def _worker() -> dict[str, Any]:
    workers = heartbeats.live_workers(settings.HEARTBEAT_MAX_AGE)
    return {"ok": bool(workers), "workers": workers}


def _beat() -> dict[str, Any]:
    age = heartbeats.beat_age()
    ok = age is not None and age <= settings.HEARTBEAT_MAX_AGE
    return {"ok": ok, "last_seen_seconds_ago": None if age is None else round(age, 1)}


def system_health() -> dict[str, Any]:
    checks = {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "worker": _timed(_worker),
        "beat": _timed(_beat),
    }
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}
