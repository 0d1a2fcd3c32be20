"""The access log: who read which ticket, file, search, export or API resource, when, for
which vendor. Kept at least a year (PRIVACY_ACCESS_LOG_MONTHS, default 13) in a table
partitioned by month (PostgreSQL declarative partitioning): old months are dropped
whole, never deleted row by row.

A request pays one Redis RPUSH (``AccessLogMiddleware``, after the view, for a read
that succeeded); ``drain()`` (beat, every few seconds) moves the entries into PostgreSQL
in one INSERT, filling in the vendor from the person's team and a file's ticket. The log
holds ids and ticket references, never a requester's data: an erased person leaves no
trace in it, and their tickets' references lead nowhere.

The routes that count as reads are registered here, by URL name (``register_route``),
so no app is edited to log its pages: the ticket page, files, search, exports' downloads
and every GET of the REST API.

After each drain, a person who viewed far more tickets than their norm within
PRIVACY_ACCESS_ALERT_MINUTES raises an alert (a privacy event and an email to the
admins), at most once a window.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

QUEUE_KEY = "helpdesk:privacy:access"
TABLE = "privacy_accesslog"


class Kind:
    TICKET_VIEW = "ticket_view"
    ATTACHMENT = "attachment_download"
    SEARCH = "search"
    EXPORT = "export_download"
    API_READ = "api_read"


@dataclass(frozen=True)
class Route:
    kind: str
    # The URL keyword that names a ticket (its reference) or another object (an id).
    reference_kwarg: str = ""
    object_kwarg: str = ""


_routes: dict[str, Route] = {}


def register_route(url_name: str, route: Route) -> None:
    _routes[url_name] = route


def route_for(url_name: str) -> Route | None:
    route = _routes.get(url_name)
    if route is None and url_name.startswith("api-"):
        return Route(Kind.API_READ, reference_kwarg="reference", object_kwarg="pk")
    return route


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def record(*, kind: str, user_id: int, team_id: int | None, reference: str = "",
           object_id: int | None = None, route: str = "") -> None:  # fmt: skip
    entry = json.dumps([time.time(), user_id, team_id, kind, reference[:16], object_id,
                        route[:80]], separators=(",", ":"))  # fmt: skip
    try:
        client().rpush(QUEUE_KEY, entry)
    except redis.RedisError:
        # Redis away: write this one straight to the table rather than lose it.
        logger.warning("Access log: Redis unavailable, writing directly", exc_info=True)
        _insert([entry])


class AccessLogMiddleware:
    """Record each successful read on a registered route (after the view ran)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "GET" or not 200 <= response.status_code < 300:
            return response
        match = request.resolver_match
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return response
        route = route_for(match.view_name)
        if route is not None:
            reference = (
                str(match.kwargs.get(route.reference_kwarg, "")) if route.reference_kwarg else ""
            )
            raw_object = match.kwargs.get(route.object_kwarg) if route.object_kwarg else None
            record(kind=route.kind, user_id=user.pk, team_id=user.team_id, reference=reference,
                   object_id=raw_object if isinstance(raw_object, int) else None,
                   route=match.view_name)  # fmt: skip
        return response


# ------------------------------------------------------------------------- drain


def drain(*, batch: int = 5000, now: datetime | None = None) -> int:
    """Move queued entries into the table; returns how many. One drain at a time."""
    if not cache.add("privacy:access:drain", 1, timeout=60):
        return 0
    moved = 0
    try:
        ensure_partitions(now=now)
        while True:
            raw: list[bytes] = client().lrange(QUEUE_KEY, 0, batch - 1)  # type: ignore[assignment]
            entries = [entry.decode() for entry in raw]
            if not entries:
                break
            _insert(entries)
            client().ltrim(QUEUE_KEY, len(entries), -1)
            moved += len(entries)
            if len(entries) < batch:
                break
    finally:
        cache.delete("privacy:access:drain")
    if moved:
        check_for_unusual_reading(now=now)
    return moved


_INSERT = f"""
INSERT INTO {TABLE} (at, user_id, vendor_id, kind, reference, object_id, route)
SELECT to_timestamp(e.at), e.user_id, team.vendor_id, e.kind,
       COALESCE(NULLIF(e.reference, ''), ticket.reference, ''), e.object_id, e.route
FROM jsonb_to_recordset(%s::jsonb) AS e(at float8, user_id bigint, team_id bigint,
                                          kind text, reference text, object_id bigint,
                                          route text)
LEFT JOIN accounts_team team ON team.id = e.team_id
LEFT JOIN tickets_attachment file ON e.kind = '{Kind.ATTACHMENT}' AND file.id = e.object_id
LEFT JOIN tickets_message message ON message.id = file.message_id
LEFT JOIN tickets_ticket ticket ON ticket.id = message.ticket_id
"""  # noqa: S608 (constants only; the entries are one parameter)


def _insert(entries: list[str]) -> None:
    keys = ("at", "user_id", "team_id", "kind", "reference", "object_id", "route")
    rows = [dict(zip(keys, json.loads(entry), strict=True)) for entry in entries]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT, [json.dumps(rows)])


# -------------------------------------------------------------------- partitions


def _month(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0,
                                                   microsecond=0)  # fmt: skip


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def partition_name(month: datetime) -> str:
    return f"{TABLE}_{month:%Y_%m}"


_checked: dict[str, float] = {}


def ensure_partitions(*, now: datetime | None = None, force: bool = False) -> list[str]:
    """This month's, last month's and the next two months' partitions exist; months older
    than PRIVACY_ACCESS_LOG_MONTHS are dropped. Checked once an hour per process."""
    now = now or timezone.now()
    this = _month(now)
    stamp = f"{this:%Y-%m}"
    if not force and time.monotonic() - _checked.get(stamp, -1e9) < 3600:
        return []
    created = []
    with connection.cursor() as cursor:
        for offset in (-1, 0, 1, 2):
            start = _add_months(this, offset)
            name = partition_name(start)
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                    "FOR VALUES FROM (%s) TO (%s)", [start, _add_months(start, 1)])  # fmt: skip
                created.append(name)
        keep_from = _add_months(this, -settings.PRIVACY_ACCESS_LOG_MONTHS)
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [TABLE])  # fmt: skip
        for (name,) in cursor.fetchall():
            if name < partition_name(keep_from):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
                logger.info("Access log: dropped the partition %s", name)
    _checked[stamp] = time.monotonic()
    return created


# ----------------------------------------------------------------------- alerts


def check_for_unusual_reading(*, now: datetime | None = None) -> list[int]:
    """People who viewed far more tickets in the last window than their norm (their
    average window over the past 14 days, times PRIVACY_ACCESS_ALERT_FACTOR, and at
    least PRIVACY_ACCESS_ALERT_MIN_VIEWS): each raises one alert a window."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.PRIVACY_ACCESS_ALERT_MINUTES)
    history = timedelta(days=14)
    windows = history / window
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH recent AS (
                SELECT user_id, count(*) AS views FROM {TABLE}
                WHERE kind = %s AND at > %s AND at <= %s GROUP BY user_id
                HAVING count(*) >= %s
            )
            SELECT recent.user_id, recent.views,
                   (SELECT count(*) FROM {TABLE} past WHERE past.user_id = recent.user_id
                    AND past.kind = %s AND past.at > %s AND past.at <= %s) AS past
            FROM recent
            """,  # noqa: S608 (the table's name is a constant)
            [Kind.TICKET_VIEW, now - window, now, settings.PRIVACY_ACCESS_ALERT_MIN_VIEWS,
             Kind.TICKET_VIEW, now - window - history, now - window],
        )  # fmt: skip
        rows = cursor.fetchall()
    alerted = []
    for user_id, views, past in rows:
        norm = past / windows
        if views < settings.PRIVACY_ACCESS_ALERT_FACTOR * norm:
            continue
        if not cache.add(f"privacy:access:alert:{user_id}", 1, timeout=int(window.total_seconds())):
            continue
        from privacy.services import unusual_reading_alert  # services import this module

        unusual_reading_alert(user_id=user_id, views=views, norm=norm, minutes=int(
            window.total_seconds() // 60))  # fmt: skip
        alerted.append(user_id)
    return alerted
