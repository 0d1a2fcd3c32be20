"""Per-process caches of configuration that every new ticket reads (the active SLA
policies, the escalation reasons that fire by themselves), exact rather than
time-limited: database triggers advance ``ConfigVersion`` in the same transaction as
any write to the tables they come from (migration 0012), and a cached value is used
only while the version it was read at is still the current one. Reading the version
is one primary-key lookup instead of the queries and model building it replaces.

Without the version row (a test database flushed by TRUNCATE) nothing is cached.

A read-only request (GET or HEAD, see ``helpdesk.middleware.ConfigVersionMiddleware``),
a new ticket's intake and an agent's reply or "next ticket" read the version once,
however many cached values they use (``read_only_request``); other writes and tasks read
it every time, so they always see their own transaction's changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db import connection

T = TypeVar("T")
_cache: dict[str, tuple[int, object]] = {}
_lock = threading.Lock()
_UNREAD = object()
# Inside a read-only request: the version it read (or _UNREAD); None outside one.
_request_version: ContextVar[list[object] | None] = ContextVar("config_version", default=None)


@contextmanager
def read_only_request() -> Iterator[None]:
    """The version is read at most once in this block: nothing in it writes configuration
    (a read-only request; a new ticket, which reads the SLA policies, the escalation
    rules and the help center's queue; an agent's reply and "next ticket", which read the
    agent's queues and the SLA policies). Inside one already, the outer block's read
    holds."""
    if _request_version.get() is not None:
        yield
        return
    token = _request_version.set([_UNREAD])
    try:
        yield
    finally:
        _request_version.reset(token)


def _read_version() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM tickets_configversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def config_version() -> int | None:
    memo = _request_version.get()
    if memo is None:
        return _read_version()
    if memo[0] is _UNREAD:
        memo[0] = _read_version()
    return memo[0]  # type: ignore[return-value]


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, reused until the configuration version moves."""
    version = config_version()
    hit = _cache.get(name)
    if version is not None and hit is not None and hit[0] == version:
        return hit[1]  # type: ignore[return-value]
    value = load()
    if version is not None:
        with _lock:
            _cache[name] = (version, value)
    return value


def watch_tables_sql(tables: list[str]) -> tuple[list[str], list[str]]:
    """Forward and backward SQL for migrations: advance the configuration version on any
    write to these tables (the function ``tickets_config_changed`` is migration 0012's)."""
    forward = [
        f"CREATE TRIGGER {table}_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION tickets_config_changed()"
        for table in tables
    ]
    backward = [f"DROP TRIGGER IF EXISTS {table}_config_changed ON {table}" for table in tables]
    return forward, backward
