"""The state of each part the helpdesk needs, for /healthz and `make run`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core import heartbeats
from tickets import counts


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


def _queue_counts() -> dict[str, Any]:
    """The last recount of the queue counts (tickets.counts): how far off the counts kept
    from the ticket changes were. Informational: drift is corrected and logged, the site
    is not down for it."""
    check = counts.last_check()
    if check is None:
        return {"drift": None, "checked_seconds_ago": None}
    age = (timezone.now() - datetime.fromisoformat(check["at"])).total_seconds()
    return {"drift": check["drift"], "checked_seconds_ago": round(age)}


def system_health() -> dict[str, Any]:
    checks = {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "worker": _timed(_worker),
        "beat": _timed(_beat),
    }
    ok = all(c["ok"] for c in checks.values())
    checks["queue_counts"] = _timed(_queue_counts)
    return {"ok": ok, "checks": checks}
