"""Reads for the dashboards: every number comes from the rollups, never from tickets or
facts, in a fixed number of statements whatever the period.

``metric_scope`` is the one place that decides what a person's numbers cover; every
page, table, export and report of analytics goes through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Value

from accounts.models import Role, User
from accounts.selectors import visible_teams, visible_users, visible_vendors
from analytics import measures, metrics
from analytics.fold import day_zones
from analytics.metrics import Totals
from tickets.models import ACTIVE_STATUSES, urgency
from tickets.selectors import visible_queue_ids, visible_tickets


@dataclass(frozen=True)
class Scope:
    """What a person's numbers cover. ``queue_ids`` None: every queue. ``vendor_id``:
    breakdowns by person, team and vendor keep to that vendor's people. ``user_ids``
    None: every person in the agent table."""

    queue_ids: tuple[int, ...] | None
    vendor_id: int | None
    user_ids: tuple[int, ...] | None
    compare_vendors: bool

    @property
    def empty(self) -> bool:
        return self.queue_ids is not None and not self.queue_ids


def can_view(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active
                and (user.is_admin or user.role == Role.LEAD))  # fmt: skip


def metric_scope(user: User) -> Scope:
    """Admins: everything. An in-house lead: the queues their team works, their team's
    people, and vendors side by side. A vendor's lead: their vendor's queues and people
    only. Anyone else: nothing."""
    if not can_view(user):
        return Scope(queue_ids=(), vendor_id=None, user_ids=(), compare_vendors=False)
    if user.is_admin:
        return Scope(queue_ids=None, vendor_id=None, user_ids=None, compare_vendors=True)
    vendor_id = user.team.vendor_id if user.team_id and user.team else None
    return Scope(
        queue_ids=tuple(visible_queue_ids(user)),
        vendor_id=vendor_id,
        user_ids=tuple(visible_users(user).values_list("pk", flat=True)),
        compare_vendors=vendor_id is None,
    )


# Weekly rows answer a range once it holds this many whole weeks (fewer: its daily rows
# are few enough).
MIN_WEEKS = 3


def _whole_weeks(first: date, last: date) -> tuple[date, date] | None:
    """The Mondays [from, to) of the whole weeks in the days [first, last), if there are
    at least ``MIN_WEEKS``."""
    start = first + timedelta(days=(7 - first.weekday()) % 7)
    end = last - timedelta(days=last.weekday())
    return (start, end) if (end - start).days >= 7 * MIN_WEEKS else None


@dataclass(frozen=True)
class Period:
    """[start, end) in the viewer's time zone, and how charts bucket it."""

    start: datetime
    end: datetime
    tz: str
    bucket: str = "day"  # hour, day, week

    @classmethod
    def last_days(cls, days: int, *, tz: str, now: datetime, bucket: str = "day") -> Period:
        """The ``days`` local days up to and including today."""
        zone = ZoneInfo(tz)
        today = now.astimezone(zone).date()
        start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), zone)
        end = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone)
        return cls(start=start, end=end, tz=tz, bucket=bucket)

    def local_days(self) -> tuple[date, date] | None:
        """The period as local dates [first, last) if it is whole local days."""
        zone = ZoneInfo(self.tz)
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        if start.time() != datetime.min.time() or end.time() != datetime.min.time():
            return None
        return start.date(), end.date()

    def uses_days(self) -> bool:
        """Daily rollups answer whole local days in a kept zone, bucketed by day or week,
        over more than two days."""
        days = self.local_days()
        return (days is not None and self.tz in day_zones() and self.bucket != "hour"
                and (days[1] - days[0]).days > 2)  # fmt: skip

    def whole_weeks(self) -> tuple[date, date] | None:
        """The whole local weeks inside the period, as their Mondays [first, last), when
        there are at least ``MIN_WEEKS`` of them and daily rows answer the period: weekly
        rows answer those, daily rows the days either side."""
        days = self.local_days() if self.uses_days() else None
        return None if days is None else _whole_weeks(*days)


@dataclass(frozen=True)
class Slice:
    """Which rows to read: the total (dim ""), or one slice's rows (all its values, or
    one value). ``queue_id`` narrows to one queue inside the scope."""

    dim: str = ""
    value: str | None = None
    queue_id: int | None = None

    def __post_init__(self) -> None:
        if self.dim and self.dim not in measures.SLICES:
            raise ValueError(f"unknown slice {self.dim!r}")


def _sums() -> tuple[list[str], list[str]]:
    """(names, sum expressions) of every count and value column."""
    names = [column for column in measures.all_columns() if not column.endswith("_hist")]
    return names, [f"coalesce(sum({name}), 0)" for name in names]


# The histograms kept sparse by a generated column (migration 0005); any other is packed
# the same way while it is read.
SPARSE_KINDS = ("first_reply",)


def _sparse(kind: str) -> str:
    """The SQL of ``kind``'s sparse histogram, as a column of the read's rows."""
    if kind in SPARSE_KINDS:
        return f"{kind}_sparse"
    return f"analytics_hist_sparse({kind}_hist) AS {kind}_sparse"


def _read(table: str, where: str, params: dict, group: list[str],
          histograms: tuple[str, ...]) -> dict[tuple, Totals]:  # fmt: skip
    """The measures summed per ``group`` (SQL expressions; none: one total), and the
    requested histograms summed bucket by bucket, in one statement: each row's sparse
    histogram (its non-zero buckets, packed; migration 0005) is read once and unnested."""
    names, sums = _sums()
    keys = [f"g{n}" for n in range(len(group))]
    # Only the columns summed: the dense histograms (150 buckets each) stay unread.
    picked = ", ".join([*(f"{expr} AS {key}" for expr, key in zip(group, keys, strict=True)),
                        *names, *(_sparse(kind) for kind in histograms)])  # fmt: skip
    head = "".join(f"{key}, " for key in keys)
    by = f" GROUP BY {', '.join(keys)}" if keys else ""
    if histograms:
        pairs = ", ".join(f"('{kind}', r.{kind}_sparse)" for kind in histograms)
        match = " AND ".join(f"h.{key} IS NOT DISTINCT FROM s.{key}" for key in keys) or "true"
        sql = f"""
        WITH r AS MATERIALIZED (SELECT {picked} FROM {table} WHERE {where}),
        s AS (SELECT {head}{", ".join(sums)} FROM r{by}),
        b AS (SELECT {head}k.kind, u.v / 1000000000 AS i,
                     sum(mod(u.v, 1000000000) - 500000000) AS n FROM r
              CROSS JOIN LATERAL (VALUES {pairs}) AS k (kind, hist)
              CROSS JOIN LATERAL unnest(k.hist) AS u (v)
              WHERE k.hist IS NOT NULL GROUP BY {head}k.kind, u.v / 1000000000
              HAVING sum(mod(u.v, 1000000000) - 500000000) <> 0),
        h AS (SELECT {head}json_agg(json_build_array(kind, i, n)) AS buckets FROM b{by})
        SELECT s.*, h.buckets FROM s LEFT JOIN h ON {match}
        """  # noqa: S608 - names from the measures
    else:
        sql = f"SELECT {head}{', '.join(sums)}, NULL FROM (SELECT {picked} FROM {table} WHERE {where}) AS r{by}"  # noqa: S608, E501
    out: dict[tuple, Totals] = {}
    width = len(group)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            values = dict(zip(names, (float(v) for v in row[width:-1]), strict=True))
            totals = Totals(values=values)
            buckets = row[-1]
            if isinstance(buckets, str):
                buckets = json.loads(buckets)
            for kind, index, count in buckets or ():
                hist = totals.hists.setdefault(kind, [0] * measures.HIST_SIZE)
                hist[int(index) - 1] += int(count)
            out[tuple(row[:width])] = totals
    return out


# A rollup row taken back (a split day's hours read once more, below): every count and sum
# negated, and each histogram's buckets (sparse: bucket × 10⁹ + count + 5 × 10⁸).
_SPARSE_NEGATED = "ARRAY(SELECT v - 2 * mod(v, 1000000000) + 1000000000 FROM unnest({0}) AS v)"
_DENSE_NEGATED = ("ARRAY(SELECT -v FROM unnest({0}) WITH ORDINALITY AS u (v, n) "
                  "ORDER BY n)")  # fmt: skip


def _union(parts: list[tuple[str, str]], *, time: str = "", at: dict[int, str] | None = None,
           negated: frozenset[int] = frozenset()) -> str:  # fmt: skip
    """Rows of several rollups (``(table, condition)`` each) as one table to read from:
    their slice and measure columns, and the time a read groups by: ``"day"`` (the
    local day of daily and weekly rows) or ``"at"`` (the moment an hourly or a UTC
    daily row begins, or for part ``i`` the SQL ``at[i]``). The parts whose index is in
    ``negated`` count with the opposite sign."""
    measured = measures.all_columns()
    sparse = [f"{kind}_sparse" for kind in SPARSE_KINDS]
    selects = []
    for index, (table, cond) in enumerate(parts):
        if index in negated:
            columns = ", ".join([
                "queue_id", "dim", "value",
                *((_DENSE_NEGATED.format(c) if c.endswith("_hist") else f"-{c}") + f" AS {c}"
                  for c in measured),
                *(f"{_SPARSE_NEGATED.format(c)} AS {c}" for c in sparse),
            ])  # fmt: skip
        else:
            columns = ", ".join(["queue_id", "dim", "value", *measured, *sparse])
        moment = ""
        if time == "day":
            moment = ", day"
        elif time == "at" and at and index in at:
            moment = f", {at[index]} AS at"
        elif time == "at":
            hourly = table == "analytics_hourlyrollup"
            moment = ", hour AS at" if hourly else ", day::timestamp AT TIME ZONE 'UTC' AS at"
        selects.append(f"SELECT {columns}{moment} FROM {table} WHERE {cond}")  # noqa: S608
    return f"({' UNION ALL '.join(selects)}) AS rollup"


def _utc_days(period: Period) -> tuple[date, date] | None:
    """The whole UTC days inside the period (at least two), when UTC days are kept."""
    if "UTC" not in day_zones():
        return None
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    first = start.date() + timedelta(days=0 if start.time() == datetime.min.time() else 1)
    last = end.date()
    return (first, last) if (last - first).days >= 2 else None


def _split_days(days: tuple[date, date], zone: ZoneInfo) -> list[tuple[date, int]]:
    """The UTC days in [first, last) that a local week of ``zone`` begins inside, each
    with the first of its hours (0–23) in the new week (an hour counts in the week its
    beginning falls in)."""
    out, day = [], days[0]
    while day < days[1]:
        midnight = datetime.combine(day, datetime.min.time(), UTC)
        week = _truncate(midnight.astimezone(zone).replace(tzinfo=None), "week")
        for hour in range(1, 24):
            moment = (midnight + timedelta(hours=hour)).astimezone(zone).replace(tzinfo=None)
            if _truncate(moment, "week") != week:
                out.append((day, hour))
                break
        day += timedelta(days=1)
    return out


def _whole_day_at(day: str) -> str:
    """When a UTC day or week (beginning ``day``, SQL) counts whole in a weekly series of
    a zone whose days are not kept (``_where``): a Monday a week of the zone begins in
    counts in the new week (at its last hour), any other at its midnight."""
    return (f"({day}::timestamp + CASE WHEN {day} = ANY(%(head_days)s::date[]) "
            "THEN interval '23 hours' ELSE interval '0 hours' END) AT TIME ZONE 'UTC'")  # fmt: skip


def _week_parts(zone: str, first: str, last: str, weeks: tuple[date, date] | None,
                params: dict) -> list[tuple[str, str]]:  # fmt: skip
    """Days [first, last) of ``zone`` (parameter names), from weekly rows for ``weeks``
    and daily rows for the rest."""
    days = f"zone = {zone} AND day >= %({first})s AND day < %({last})s"
    if weeks is None:
        return [("analytics_dailyrollup", days)]
    params.update(week_first=weeks[0], week_last=weeks[1])
    return [
        ("analytics_weeklyrollup",
         f"zone = {zone} AND day >= %(week_first)s AND day < %(week_last)s"),
        ("analytics_dailyrollup",
         f"{days} AND (day < %(week_first)s OR day >= %(week_last)s)"),
    ]  # fmt: skip


def _where(scope: Scope, period: Period, slice_: Slice,
           dims: tuple[str, ...] | None = None, *,
           by_time: str | None = None) -> tuple[str, str, dict]:  # fmt: skip
    """(table, WHERE clause, parameters) for the rows a question reads: one slice's, or
    with ``dims`` the rows of several slices at once. ``by_time``: the read groups its
    rows by hour, day or week of the viewer's zone (None: it sums them all).

    The fewest rows that answer it: whole weeks from weekly rows and the days either side
    from daily rows, in a kept zone (by week or not at all); days in a kept zone (by
    day); hours otherwise, and in a zone not kept, for a sum or by week, UTC's whole days
    and weeks inside the period from UTC's rows, hours only either side (and, by week,
    the hours on one side of each moment a local week begins, taken back from their
    day)."""
    params: dict = {"dim": slice_.dim, "tz": period.tz}
    if dims is None:
        clauses = ["dim = %(dim)s"]
        dims = (slice_.dim,)
    else:
        clauses = ["dim = ANY(%(dims)s)"]
        params["dims"] = list(dims)
    weekly_ok = by_time in (None, "week")
    utc_days = _utc_days(period) if weekly_ok and not period.uses_days() else None
    if period.uses_days():
        days = period.local_days() or (period.start.date(), period.end.date())
        params.update(first=days[0], last=days[1])
        weeks = period.whole_weeks() if weekly_ok else None
        parts = _week_parts("%(tz)s", "first", "last", weeks, params)
        table = parts[0][0] if len(parts) == 1 else _union(parts, time="day")
        if len(parts) == 1:
            clauses.append(parts[0][1])
    elif utc_days is not None:
        midnight = datetime.min.time()
        params.update(start=period.start, end=period.end, utc_first=utc_days[0],
                      utc_last=utc_days[1], days_from=datetime.combine(utc_days[0], midnight, UTC),
                      days_to=datetime.combine(utc_days[1], midnight, UTC))  # fmt: skip
        hours = ("hour >= %(start)s AND hour < %(end)s"
                 " AND (hour < %(days_from)s OR hour >= %(days_to)s")  # fmt: skip
        if by_time is None:
            weeks = _whole_weeks(*utc_days)
            parts = [("analytics_hourlyrollup", hours + ")"),
                     *_week_parts("'UTC'", "utc_first", "utc_last", weeks, params)]  # fmt: skip
            table = _union(parts)
        else:
            # By local week: a UTC day or week inside one local week counts in it whole. A
            # week of a zone east of UTC begins on a UTC Sunday (18:30 in India): that
            # day counts in the week before, and its last hours (from 19:00) are read,
            # counted in their week and taken back from the day's. West of UTC it begins
            # on a Monday (06:00 in Chicago): that day, and its UTC week, count in the
            # new week, and its first hours are moved back the same way.
            split = _split_days(utc_days, ZoneInfo(period.tz))
            params.update(head_days=[day for day, _first in split if day.weekday() == 0],
                          split_hours=[datetime.combine(day, midnight, UTC) + timedelta(hours=h)
                                       for day, first_new in split
                                       for h in (range(first_new) if day.weekday() == 0
                                                 else range(first_new, 24))])  # fmt: skip
            weeks = _whole_weeks(*utc_days)
            parts = [("analytics_hourlyrollup", hours + " OR hour = ANY(%(split_hours)s))"),
                     ("analytics_hourlyrollup", "hour = ANY(%(split_hours)s)"),
                     *_week_parts("'UTC'", "utc_first", "utc_last", weeks, params)]  # fmt: skip
            at = {n: _whole_day_at("day") for n in range(2, len(parts))}
            at[1] = _whole_day_at("(hour AT TIME ZONE 'UTC')::date")
            table = _union(parts, time="at", at=at, negated=frozenset({1}))
    else:
        table = "analytics_hourlyrollup"
        clauses += ["hour >= %(start)s", "hour < %(end)s"]
        params.update(start=period.start, end=period.end)
    if slice_.value is not None:
        clauses.append("value = %(value)s")
        params["value"] = slice_.value
    if scope.queue_ids is not None:
        clauses.append("queue_id = ANY(%(queues)s)")
        params["queues"] = list(scope.queue_ids)
    if slice_.queue_id is not None:
        clauses.append("queue_id = %(queue)s")
        params["queue"] = slice_.queue_id
    if scope.vendor_id is not None and "vendor" in dims:
        clauses.append("(dim <> 'vendor' OR value = %(own_vendor)s)")
        params["own_vendor"] = str(scope.vendor_id)
    if scope.user_ids is not None and "agent" in dims:
        clauses.append("(dim <> 'agent' OR value = ANY(%(people)s))")
        params["people"] = [str(pk) for pk in scope.user_ids]
    return table, " AND ".join(clauses), params


def totals(scope: Scope, period: Period, slice_: Slice | None = None, *,
           histograms: tuple[str, ...] = metrics.TILE_HISTOGRAMS) -> Totals:  # fmt: skip
    """Every measure summed over the period (two statements, one without histograms)."""
    if scope.empty:
        return Totals()
    table, where, params = _where(scope, period, slice_ or Slice())
    return _read(table, where, params, [], histograms).get((), Totals())


def series(scope: Scope, period: Period, slice_: Slice | None = None, *,
           histograms: tuple[str, ...] = metrics.TILE_HISTOGRAMS,
           ) -> list[tuple[datetime, Totals]]:  # fmt: skip
    """The measures per hour, day or week of the period, in the viewer's time zone, with
    the empty buckets in place (two statements)."""
    if scope.empty:
        return []
    # Whole weeks only for weekly buckets (a weekly row is its Monday's bucket).
    table, where, params = _where(scope, period, slice_ or Slice(), by_time=period.bucket)
    unit = {"hour": "hour", "day": "day", "week": "week"}[period.bucket]
    if table == "analytics_hourlyrollup":
        moment = "(hour AT TIME ZONE %(tz)s)"
    elif "split_hours" in params:  # hours and UTC days (_where)
        moment = "(at AT TIME ZONE %(tz)s)"
    else:
        moment = "day::timestamp"
    params["unit"] = unit
    read = _read(table, where, params, [f"date_trunc(%(unit)s, {moment})"], histograms)
    found = {key[0]: totals for key, totals in read.items()}
    zone = ZoneInfo(period.tz)
    out = []
    local = _truncate(period.start.astimezone(zone).replace(tzinfo=None), unit)
    end = period.end.astimezone(zone).replace(tzinfo=None)
    while local < end:
        out.append((local.replace(tzinfo=zone), found.get(local, Totals())))
        local = _step(local, unit)
    return out


def _truncate(moment: datetime, unit: str) -> datetime:
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if unit == "week" else day


def _step(moment: datetime, unit: str) -> datetime:
    return moment + {"hour": timedelta(hours=1), "day": timedelta(days=1),
                     "week": timedelta(weeks=1)}[unit]  # fmt: skip


def breakdown(scope: Scope, period: Period, dim: str, *, by_queue: bool = False,
              histograms: tuple[str, ...] = metrics.TILE_HISTOGRAMS,
              queue_id: int | None = None) -> list[tuple[int | None, str, Totals]]:  # fmt: skip
    """The measures per value of one slice (and per queue with ``by_queue``; the total
    per queue with ``dim`` ""): (queue id or None, value, totals), biggest first."""
    if scope.empty:
        return []
    table, where, params = _where(scope, period, Slice(dim=dim, queue_id=queue_id))
    group = ["queue_id" if by_queue else "NULL::bigint", "value"]
    found = _read(table, where, params, group, histograms)
    rows = [(key[0], key[1], totals) for key, totals in found.items()]
    rows.sort(key=lambda r: (-(r[2]["created"] + r[2]["solved"] + r[2]["replies"]), str(r[1])))
    return rows


def backlog(scope: Scope, *, now: datetime, slice_: Slice = Slice()) -> dict[str, int]:
    """Active tickets now by age (hours since creation), from the "open" facts summed
    over the creation hours that still hold any (one statement)."""
    if scope.empty:
        return {key: 0 for key, *_rest in metrics.AGE_BUCKETS}
    params: dict = {"dim": slice_.dim, "now": now}
    clauses = ["dim = %(dim)s", "open <> 0"]
    if slice_.value is not None:
        clauses.append("value = %(value)s")
        params["value"] = slice_.value
    if scope.queue_ids is not None:
        clauses.append("queue_id = ANY(%(queues)s)")
        params["queues"] = list(scope.queue_ids)
    if slice_.queue_id is not None:
        clauses.append("queue_id = %(queue)s")
        params["queue"] = slice_.queue_id
    cases = []
    for _key, _label, low, high in metrics.AGE_BUCKETS:
        # An hour's tickets are counted in the bucket their hour's end falls in.
        cond = f"hour + interval '1 hour' > %(now)s - interval '{high} hours'" if high else "true"
        cases.append(f"coalesce(sum(open) FILTER (WHERE hour + interval '1 hour' <= "
                     f"%(now)s - interval '{low} hours' AND {cond}), 0)")  # fmt: skip
    # The current hour (tickets younger than the bucket's lower bound of 0) goes to < 1 h.
    cases[0] = ("coalesce(sum(open) FILTER (WHERE hour + interval '1 hour' > "
                "%(now)s - interval '1 hours'), 0)")  # fmt: skip
    with connection.cursor() as cursor:
        sql = (f"SELECT {', '.join(cases)} FROM analytics_hourlyrollup "  # noqa: S608
               f"WHERE {' AND '.join(clauses)}")  # fmt: skip
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {key: int(value) for (key, *_rest), value in zip(metrics.AGE_BUCKETS, row, strict=True)}


# ------------------------------------------------------------------ the pages' reads


Rows = list[tuple[int | None, str, Totals]]


def breakdowns(scope: Scope, period: Period, dims: tuple[str, ...], *,
               by_queue: tuple[str, ...] = (), values: dict[str, str] | None = None,
               queue_id: int | None = None,
               histograms: tuple[str, ...] = metrics.TILE_HISTOGRAMS,
               choices: tuple[str, ...] = (), per_dim: int = 40,
               ) -> tuple[dict[str, Rows], dict[str, list[str]]]:  # fmt: skip
    """``breakdown`` for several slices, and what a slice filter offers (three statements).

    Per slice in ``dims``: its rows (per queue for the slices in ``by_queue``; only
    ``values[dim]`` where given; in ``queue_id`` if given), biggest first. Per slice in
    ``choices``: the values it takes in the whole scope over the period (neither the
    queue nor the values narrow these), the busiest ``per_dim``, by value."""
    found: dict[str, Rows] = {dim: [] for dim in dims}
    offered: dict[str, list[str]] = {dim: [] for dim in choices}
    if scope.empty or not (dims or choices):
        return found, offered
    if dims:
        table, where, own = _where(scope, period, Slice(queue_id=queue_id), dims=dims)
        clauses = [where]
        for n, (dim, value) in enumerate((values or {}).items()):
            clauses.append(f"(dim <> %(only_dim_{n})s OR value = %(only_value_{n})s)")
            own.update({f"only_dim_{n}": dim, f"only_value_{n}": value})
        own["by_queue"] = list(by_queue)
        group = ["dim", "CASE WHEN dim = ANY(%(by_queue)s) THEN queue_id END", "value"]
        read = _read(table, " AND ".join(clauses), own, group, histograms)
        for (dim, queue, value), totals in read.items():
            found[dim].append((queue, value, totals))
    if choices:
        table, where, params = _where(scope, period, Slice(), dims=choices)
        params["per_dim"] = per_dim
        sql = (
            f"SELECT dim, value FROM (SELECT dim, value, row_number() OVER (PARTITION BY dim "  # noqa: S608
            f"ORDER BY sum(created) + sum(solved) + sum(replies) DESC, value) AS rank "
            f"FROM {table} WHERE {where} AND value <> '' GROUP BY dim, value) AS ranked "
            f"WHERE rank <= %(per_dim)s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for dim, value in cursor.fetchall():
                offered[dim].append(value)
    for rows in found.values():
        rows.sort(key=lambda r: (-(r[2]["created"] + r[2]["solved"] + r[2]["replies"]),
                                 str(r[1]), r[0] or 0))  # fmt: skip
    for listed in offered.values():
        listed.sort()
    return found, offered


@dataclass(frozen=True)
class AtRiskRow:
    reference: str
    subject: str
    priority: int
    queue_name: str
    due: datetime
    assignee: str


AT_RISK_WITHIN = timedelta(hours=1)


def at_risk(user: User, *, now: datetime, slice_: Slice = Slice(), limit: int = 10,
            within: timedelta = AT_RISK_WITHIN) -> tuple[list[AtRiskRow], bool]:  # fmt: skip
    """Active tickets this person may see whose next SLA target falls due within the next
    hour (clocks running, not yet due), soonest first, at most ``limit``, and whether
    there are more. One statement: a range of the urgency index (``urgency()`` over the
    active tickets), never a scan of the backlog."""
    tickets = (visible_tickets(user).filter(status__in=ACTIVE_STATUSES, sla_paused=False)
               .alias(due=urgency()).filter(due__gte=now, due__lt=now + within))  # fmt: skip
    if slice_.queue_id is not None:
        tickets = tickets.filter(queue_id=slice_.queue_id)
    if slice_.dim and slice_.value is not None:
        tickets = tickets.filter(**_ticket_lookup(slice_.dim, slice_.value))
    columns = ("reference", "subject", "priority", "queue__name", "sla_due_at",
               "assignee__full_name")  # fmt: skip
    rows = list(tickets.order_by(urgency(), "priority", "created_at", "id")
                .values_list(*columns)[: limit + 1])  # fmt: skip
    found = [AtRiskRow(reference=reference, subject=subject, priority=priority, queue_name=queue,
                       due=due, assignee=assignee or "")
             for reference, subject, priority, queue, due, assignee in rows[:limit]]  # fmt: skip
    return found, len(rows) > limit


_TICKET_COLUMNS = {"priority": "priority", "agent": "assignee_id", "team": "assignee__team_id",
                   "vendor": "assignee__team__vendor_id"}  # fmt: skip


def _ticket_lookup(dim: str, value: str) -> dict[str, object]:
    """A slice as a filter on tickets (the person slices by the assignee's now)."""
    if dim == "tag":
        return {"tags__contains": [value]}
    if dim in ("language", "channel", "category"):
        return {dim: value}
    return {_TICKET_COLUMNS[dim]: int(value) if value.isdigit() else 0}


@dataclass(frozen=True)
class Names:
    """Teams and vendors this person may see named, by id."""

    teams: dict[int, str]
    vendors: dict[int, str]


def visible_names(user: User) -> Names:
    """``visible_teams`` and ``visible_vendors`` in one statement (the slice filter's
    choices, the vendor table's names)."""
    teams = visible_teams(user).annotate(kind=Value("team")).values_list("kind", "pk", "name")
    vendors = visible_vendors(user).annotate(kind=Value("vendor")).values_list("kind", "pk",
                                                                               "name")  # fmt: skip
    names: dict[str, dict[int, str]] = {"team": {}, "vendor": {}}
    for kind, pk, name in teams.union(vendors, all=True):
        names[kind][pk] = name
    return Names(teams=_by_name(names["team"]), vendors=_by_name(names["vendor"]))


def _by_name(names: dict[int, str]) -> dict[int, str]:
    return dict(sorted(names.items(), key=lambda item: (item[1].lower(), item[0])))


def people_named(user: User, ids: list[int]) -> dict[int, User]:
    """The people among ``ids`` this person may see, with their team (one statement)."""
    return {person.pk: person for person in
            visible_users(user).filter(pk__in=ids).select_related("team")}  # fmt: skip
