"""What the dashboards show, in words and links: numbers in the viewer's language,
durations in words, every number with the ticket list it counts (the queue page and its
filters), charts as data for Chart.js and as tables.

The reads are the selectors'; this module only arranges them. Each page's statements:
the slice filter's names (``visible_names``), the buckets of the range (``series``; the
range's totals are their sum), the backlog, the at-risk list, the tables (one
``breakdowns``) and the slice filter's values: a fixed number whatever the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from analytics import metrics, selectors
from analytics.forms import BUCKET_LABELS, RANGE_LABELS, SLICE_DIMS, SLICE_LABELS, Controls
from analytics.metrics import Totals
from analytics.selectors import Names, Period, Scope
from tickets import timeline
from tickets.models import Channel, Priority

# ------------------------------------------------------------------ numbers in words


def count(value: float) -> str:
    return formats.number_format(int(value), 0, force_grouping=True)


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(value)s%%") % {"value": formats.number_format(round(value * 100, 1), 1)}


def score(value: float | None) -> str:
    """A score out of 100, one decimal."""
    return "—" if value is None else formats.number_format(round(value, 1), 1)


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else timeline.duration(seconds)


def summed(parts: Iterable[Totals]) -> Totals:
    """Totals added up (every rollup column is a sum, histograms included)."""
    total = Totals()
    for part in parts:
        for name, value in part.values.items():
            total.values[name] = total.values.get(name, 0) + value
        for kind, hist in part.hists.items():
            mine = total.hists.setdefault(kind, [0] * len(hist))
            for index, n in enumerate(hist):
                mine[index] += n
    return total


def value_label(dim: str, value: str, *, names: Names, queues: dict[int, str]) -> str:
    """One slice value as people read it ("Spanish (es)", "Help center", a queue's name)."""
    if value == "":
        return _("(none)")
    number = int(value) if value.isdigit() else None
    if dim == "queue":
        return queues.get(number or 0, f"#{value}")
    if dim in ("vendor", "team"):
        named = names.vendors if dim == "vendor" else names.teams
        return named.get(number or 0, f"#{value}")
    if dim == "language":
        language = dict(settings.SKILL_LANGUAGES).get(value)
        return _("%(name)s (%(code)s)") % {"name": language, "code": value} if language else value
    if dim == "channel" and value in Channel.values:
        return str(Channel(value).label)
    if dim == "priority" and number in Priority.values:
        return str(Priority(number).label)
    return value


# ------------------------------------------------------------------ drill-down links

# A slice as the queue page's filter (the people slices go by the assignee now).
_QUEUE_PARAM = {
    "queue": "queue",
    "language": "language",
    "channel": "channel",
    "category": "category",
    "priority": "priority",
    "tag": "tag",
    "vendor": "vendor",
    "team": "team",
    "agent": "assignee",
}


def slice_params(dim: str, value: str) -> dict[str, str]:
    # A blank value (no language given) has no filter on the list: no narrowing.
    return {_QUEUE_PARAM[dim]: value} if dim and value else {}


@dataclass(frozen=True)
class Link:
    url: str
    title: str  # which tickets the list holds


@dataclass
class Drill:
    """The ticket lists behind a page's numbers: the queue page, narrowed to the
    page's slice (``base``) and a row's own (``row``)."""

    base: dict[str, str]
    # A page links a few hundred numbers to a few dozen lists: each list's URL is made
    # once (the queue's path, and each (list, period, row) link).
    _path: str = field(default="", repr=False)
    _links: dict[tuple, Link] = field(default_factory=dict, repr=False)

    def _url(self, first: list[tuple[str, str]], row: dict[str, str] | None) -> str:
        params = {**self.base, **(row or {})}
        if not self._path:
            self._path = reverse("tickets:queue")
        return f"{self._path}?{urlencode([*first, *sorted(params.items())])}"

    def created(self, start: datetime, end: datetime, row: dict[str, str] | None = None) -> Link:
        return Link(
            self._url(
                [
                    ("view", "any"),
                    ("sort", "newest"),
                    ("created_from", start.isoformat()),
                    ("created_to", end.isoformat()),
                ],
                row,
            ),
            _("Tickets created in this period"),
        )

    def solved(self, start: datetime, end: datetime, row: dict[str, str] | None = None) -> Link:
        return Link(
            self._url(
                [
                    ("view", "solved"),
                    ("solved_from", start.isoformat()),
                    ("solved_to", end.isoformat()),
                ],
                row,
            ),
            _("Tickets last solved in this period"),
        )

    def backlog(
        self,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        row: dict[str, str] | None = None,
    ) -> Link:
        first = [("view", "all"), ("sort", "oldest")]
        if created_from is not None:
            first.append(("created_from", created_from.isoformat()))
        if created_to is not None:
            first.append(("created_to", created_to.isoformat()))
        return Link(self._url(first, row), _("Active tickets now, oldest first"))

    def at_risk(self) -> Link:
        return Link(
            self._url([("view", "all"), ("sort", "urgency")], {}),
            _("Active tickets, most urgent first"),
        )

    def population(
        self, metric: str, start: datetime, end: datetime, row: dict[str, str] | None = None
    ) -> Link:
        """The tickets a metric is computed over: created in the period (volumes, first
        replies, SLA targets), or last solved in it (solves, reopens, one-touch)."""
        solved = metric in ("solved", "reopen_rate", "one_touch")
        key = (solved, start, end, tuple(sorted((row or {}).items())))
        link = self._links.get(key)
        if link is None:
            link = self.solved(start, end, row) if solved else self.created(start, end, row)
            self._links[key] = link
        return link


# ------------------------------------------------------------------ the page's frame


@dataclass
class Frame:
    """What every analytics page knows: who, which controls, the scope and period, and
    the names it may show."""

    user: User
    controls: Controls
    scope: Scope
    period: Period
    now: datetime
    names: Names
    queues: dict[int, str]

    @cached_property
    def drill(self) -> Drill:
        return Drill(slice_params(self.controls.slice_dim, self.controls.slice_value))

    def label(self, dim: str, value: str) -> str:
        return value_label(dim, value, names=self.names, queues=self.queues)

    def summary(self) -> str:
        """ "Last 7 days · Spanish (es) · Europe/Madrid"."""
        parts = [str(RANGE_LABELS[self.controls.range])]
        if self.controls.slice_dim:
            parts.append(
                _("%(slice)s: %(value)s")
                % {
                    "slice": SLICE_LABELS[self.controls.slice_dim],
                    "value": self.label(self.controls.slice_dim, self.controls.slice_value),
                }
            )
        parts.append(self.controls.tz)
        return " · ".join(parts)


def frame(
    user: User, controls: Controls, *, names: Names, queues: dict[int, str], now: datetime
) -> Frame:
    return Frame(
        user=user,
        controls=controls,
        scope=selectors.metric_scope(user),
        period=controls.period(now),
        now=now,
        names=names,
        queues=queues,
    )


@dataclass
class Cell:
    text: str
    link: Link | None = None
    numeric: bool = True


def metric_cells(
    frame: Frame,
    totals: Totals,
    metrics_: tuple[str, ...],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    row: dict[str, str] | None = None,
) -> list[Cell]:
    """One table row's cells, each number linked to the tickets it counts."""
    start = start or frame.period.start
    end = end or frame.period.end
    first = metrics.duration(totals, "first_reply")
    values = {
        "created": count(totals["created"]),
        "solved": count(totals["solved"]),
        "replies": count(totals["replies"]),
        "first_reply": duration(first.median),
        "first_reply_p90": duration(first.p90),
        "first_reply_mean": duration(first.mean),
        "sla": percent(metrics.sla_attainment(totals)),
        "breaches": count(metrics.breaches(totals)),
        "reopen_rate": percent(metrics.reopen_rate(totals)),
        "one_touch": percent(metrics.one_touch_rate(totals)),
        "csat": percent(metrics.csat(totals)),
        "qa": score(metrics.qa(totals)),
    }
    # No ticket list holds "the tickets someone replied to"; ratings are read on their own
    # page (quality), not as a ticket list.
    unlinked = ("replies", "csat", "qa")
    population = {
        "first_reply_p90": "first_reply",
        "first_reply_mean": "first_reply",
        "breaches": "sla",
    }
    cells = []
    for name in metrics_:
        # Nothing measured ("—"), or no list to show: the number stands alone.
        plain = name in unlinked or values[name] == "—"
        link = (
            None if plain else frame.drill.population(population.get(name, name), start, end, row)
        )
        cells.append(Cell(values[name], link))
    return cells


METRIC_LABELS = {
    "created": gettext_lazy("Created"),
    "solved": gettext_lazy("Solved"),
    "replies": gettext_lazy("Public replies"),
    "first_reply": gettext_lazy("First reply (median)"),
    "first_reply_p90": gettext_lazy("First reply (p90)"),
    "first_reply_mean": gettext_lazy("First reply (mean)"),
    "sla": gettext_lazy("SLA attainment"),
    "breaches": gettext_lazy("SLA breaches"),
    "reopen_rate": gettext_lazy("Reopen rate"),
    "one_touch": gettext_lazy("One-touch"),
    "csat": gettext_lazy("CSAT"),
    "qa": gettext_lazy("IQS"),
}


# ------------------------------------------------------------------ charts


@dataclass
class Bucket:
    start: datetime  # clipped to the period
    end: datetime
    label: str
    totals: Totals
    tick: str = ""  # its name on the chart's axis


def _bucket_label(moment: datetime, unit: str, days: int) -> str:
    if unit == "hour":
        fmt = "TIME_FORMAT" if days == 1 else "SHORT_DATETIME_FORMAT"
        return formats.date_format(moment, fmt)
    day = formats.date_format(moment, "DATE_FORMAT")
    return _("Week of %(date)s") % {"date": day} if unit == "week" else day


def _tick_label(moment: datetime, unit: str, days: int) -> str:
    """A bucket's name under the chart: its day or hour alone (the tooltip and the table
    say "Week of …"), so more of them fit without overlapping."""
    if unit == "hour":
        return _bucket_label(moment, unit, days)
    return formats.date_format(moment, "SHORT_DATE_FORMAT")


def buckets(frame: Frame, series: list[tuple[datetime, Totals]]) -> list[Bucket]:
    """The series' buckets up to now (a bucket not begun yet is not a zero), each clipped
    to the period, labelled in the viewer's language."""
    period, unit = frame.period, frame.period.bucket
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}[unit]
    zone = ZoneInfo(period.tz)
    found = []
    for moment, totals in series:
        local = moment.replace(tzinfo=None)
        end = (local + step).replace(tzinfo=zone)  # wall-clock steps across DST changes
        start = max(moment, period.start)
        if start > frame.now:
            break
        found.append(
            Bucket(
                start=start,
                end=min(end, period.end),
                label=_bucket_label(moment, unit, frame.controls.days),
                totals=totals,
                tick=_tick_label(moment, unit, frame.controls.days),
            )
        )
    return found


@dataclass
class ChartTable:
    """A chart's data as a table (its accessible view)."""

    key: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    subtitle: str = ""  # its buckets and time zone


def charts(frame: Frame, found: list[Bucket]) -> tuple[dict[str, Any], list[ChartTable]]:
    """Chart.js data (labels, datasets, and each point's words for the tooltip) and the
    same as tables."""
    labels = [b.label for b in found]
    ticks = [b.tick or b.label for b in found]
    created = [int(b.totals["created"]) for b in found]
    solved = [int(b.totals["solved"]) for b in found]
    medians = [metrics.duration(b.totals, "first_reply").median for b in found]
    sla = [metrics.sla_attainment(b.totals) for b in found]
    longest = max((m for m in medians if m is not None), default=0)
    unit, per = (_("Hours"), 3600) if longest > 2 * 3600 else (_("Minutes"), 60)
    data = {
        "volume": {
            "type": "bar",
            "labels": labels,
            "ticks": ticks,
            "yTitle": _("Tickets"),
            "precision": 0,
            "datasets": [
                {"label": _("Created"), "data": created, "display": [count(n) for n in created]},
                {"label": _("Solved"), "data": solved, "display": [count(n) for n in solved]},
            ],
        },
        "first_reply": {
            "type": "line",
            "labels": labels,
            "ticks": ticks,
            "yTitle": unit,
            "datasets": [
                {
                    "label": _("First reply (median)"),
                    "data": [None if m is None else round(m / per, 2) for m in medians],
                    "display": [duration(m) for m in medians],
                }
            ],
        },
        "sla": {
            "type": "line",
            "labels": labels,
            "ticks": ticks,
            "yTitle": _("Percent"),
            "max": 100,
            "datasets": [
                {
                    "label": _("SLA attainment"),
                    "data": [None if r is None else round(r * 100, 1) for r in sla],
                    "display": [percent(r) for r in sla],
                }
            ],
        },
    }
    tables = [
        ChartTable("volume", _("Created and solved"), [_("Period"), _("Created"), _("Solved")]),
        ChartTable(
            "first_reply",
            _("First reply (median)"),
            [_("Period"), _("First reply (median)"), _("First replies")],
        ),
        ChartTable(
            "sla", _("SLA attainment"), [_("Period"), _("SLA attainment"), _("SLA breaches")]
        ),
    ]
    subtitle = _("%(bucket)s · %(zone)s") % {
        "bucket": BUCKET_LABELS[frame.period.bucket],
        "zone": frame.period.tz,
    }
    for table in tables:
        table.subtitle = subtitle
    for b in found:
        cells = metric_cells(
            frame,
            b.totals,
            ("created", "solved", "first_reply", "sla", "breaches"),
            start=b.start,
            end=b.end,
        )
        first = metrics.duration(b.totals, "first_reply")
        tables[0].rows.append((b.label, cells[0:2]))
        tables[1].rows.append((b.label, [cells[2], Cell(count(first.n), cells[2].link)]))
        tables[2].rows.append((b.label, cells[3:5]))
    return data, tables


# ------------------------------------------------------------------ the dashboard

TILE_METRICS = ("created", "solved", "first_reply", "sla", "reopen_rate", "one_touch", "csat",
                "qa")  # fmt: skip
# Backlog facts name no person: the backlog is counted by queue and ticket slices only.
BACKLOG_DIMS = ("", "language", "channel", "category", "priority", "tag")
CHOICE_DIMS = ("language", "category", "tag")
TABLE_METRICS = ("created", "solved", "first_reply", "sla", "reopen_rate")
VENDOR_METRICS = ("created", "solved", "replies", "first_reply", "sla", "reopen_rate", "one_touch",
                  "csat", "qa")  # fmt: skip
TABLE_ROWS = 50


@dataclass
class Tile:
    key: str
    label: str
    value: str
    link: Link | None
    detail: str = ""


def tiles(frame: Frame, total: Totals, backlog: dict[str, int] | None) -> list[Tile]:
    first = metrics.duration(total, "first_reply")
    found = []
    for name, cell in zip(TILE_METRICS, metric_cells(frame, total, TILE_METRICS), strict=True):
        detail = ""
        if name == "first_reply":
            detail = _("p90 %(p90)s · mean %(mean)s") % {
                "p90": duration(first.p90),
                "mean": duration(first.mean),
            }
        if name == "csat":
            responses = metrics.csat_responses(total)
            detail = ngettext("%(count)s response · %(rate)s response rate",
                              "%(count)s responses · %(rate)s response rate", responses) % {
                "count": count(responses), "rate": percent(metrics.csat_response_rate(total)),
            }  # fmt: skip
        if name == "qa":
            reviews = metrics.qa_reviews(total)
            detail = ngettext("%(count)s review", "%(count)s reviews", reviews) % {
                "count": count(reviews)}  # fmt: skip
        found.append(Tile(name, str(METRIC_LABELS[name]), cell.text, cell.link, detail))
    if backlog is None:
        found.insert(
            2,
            Tile(
                "backlog", _("Backlog now"), "—", None, _("Not counted by person, team or vendor")
            ),
        )
    else:
        found.insert(
            2,
            Tile("backlog", _("Backlog now"), count(sum(backlog.values())), frame.drill.backlog()),
        )
    return found


@dataclass
class AgeRow:
    label: str
    count: str
    link: Link


def backlog_rows(frame: Frame, backlog: dict[str, int]) -> list[AgeRow]:
    """The backlog by age, each bucket linked to the active tickets created in its
    window (the hours ``selectors.backlog`` counts it over, see there)."""
    now = frame.now.astimezone(UTC)

    def floor(hours: float) -> datetime:
        moment = now - timedelta(hours=hours)
        return moment.replace(minute=0, second=0, microsecond=0)

    rows = []
    for key, label, low, high in metrics.AGE_BUCKETS:
        created_from = floor(high) if high is not None else None
        created_to = floor(low) if low else None
        if key == "lt1h":
            created_from, created_to = floor(1), None
        rows.append(
            AgeRow(
                str(label),
                count(backlog.get(key, 0)),
                frame.drill.backlog(created_from, created_to),
            )
        )
    return rows


@dataclass
class TableRow:
    heads: list[str]
    cells: list[Cell]


@dataclass
class Table:
    caption: str
    heads: list[str]
    columns: list[str]
    rows: list[TableRow]
    more: int = 0  # rows left out

    @property
    def width(self) -> int:
        return len(self.heads) + len(self.columns)


@dataclass
class AtRisk:
    reference: str
    subject: str
    priority: str
    queue: str
    due: str
    due_in: str
    assignee: str


def _at_risk(frame: Frame) -> tuple[list[AtRisk], bool]:
    rows, more = selectors.at_risk(frame.user, now=frame.now, slice_=frame.controls.slice)
    zone = ZoneInfo(frame.period.tz)
    return [
        AtRisk(
            reference=row.reference,
            subject=row.subject,
            priority=value_label(
                "priority", str(row.priority), names=frame.names, queues=frame.queues
            ),
            queue=row.queue_name,
            due=formats.date_format(row.due.astimezone(zone), "TIME_FORMAT"),
            due_in=timeline.duration((row.due - frame.now).total_seconds()),
            assignee=row.assignee,
        )
        for row in rows
    ], more


def _queue_table(frame: Frame, dim: str, rows: list[tuple[int | None, str, Totals]]) -> Table:
    heads = [_("Queue"), str(SLICE_LABELS[dim])]
    table = Table(
        caption=_("By queue · %(slice)s") % {"slice": SLICE_LABELS[dim]},
        heads=heads,
        columns=[str(METRIC_LABELS[m]) for m in TABLE_METRICS],
        rows=[],
        more=max(0, len(rows) - TABLE_ROWS),
    )
    for queue_id, value, totals in rows[:TABLE_ROWS]:
        row = {"queue": str(queue_id)} if queue_id is not None else {}
        row.update(slice_params(dim, value))
        table.rows.append(
            TableRow(
                [
                    frame.label("queue", str(queue_id)) if queue_id is not None else "—",
                    frame.label(dim, value),
                ],
                metric_cells(frame, totals, TABLE_METRICS, row=row),
            )
        )
    return table


def by_value(rows: list[tuple[int | None, str, Totals]]) -> list[tuple[str, Totals]]:
    grouped: dict[str, list[Totals]] = {}
    for _queue, value, totals in rows:
        grouped.setdefault(value, []).append(totals)
    return [(value, summed(parts)) for value, parts in grouped.items()]


def _vendor_table(frame: Frame, rows: list[tuple[str, Totals]]) -> Table:
    table = Table(
        caption=_("By vendor"),
        heads=[_("Vendor")],
        columns=[str(METRIC_LABELS[m]) for m in VENDOR_METRICS],
        rows=[],
    )
    for value, totals in rows:
        table.rows.append(
            TableRow(
                [frame.label("vendor", value)],
                metric_cells(frame, totals, VENDOR_METRICS, row={"vendor": value}),
            )
        )
    return table


def can_compare_vendors(frame: Frame) -> bool:
    return frame.scope.compare_vendors or frame.user.is_admin


def slice_choices(
    frame: Frame, values: dict[str, list[str]], dims: tuple[str, ...] = SLICE_DIMS
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The slice filter's options, grouped by slice: the queues and the teams and vendors
    this person may see, the channels and priorities, and the languages, categories and
    tags found in their data over the range (with the one chosen, whatever it is)."""
    options: dict[str, list[str]] = {
        "queue": [str(pk) for pk in frame.queues],
        "language": values.get("language", []),
        "channel": list(Channel.values),
        "category": values.get("category", []),
        "priority": [str(v) for v in Priority.values],
        "tag": values.get("tag", []),
        "vendor": [str(pk) for pk in frame.names.vendors] if can_compare_vendors(frame) else [],
        "team": [str(pk) for pk in frame.names.teams],
    }
    chosen = frame.controls.slice_dim
    if chosen and frame.controls.slice_value not in options.get(chosen, []):
        options.setdefault(chosen, []).append(frame.controls.slice_value)
    return [
        (
            str(SLICE_LABELS[dim]),
            [(f"{dim}:{value}", frame.label(dim, value)) for value in options.get(dim, [])],
        )
        for dim in dims
        if options.get(dim)
    ]


def dashboard(frame: Frame) -> dict[str, Any]:
    """Everything the lead's dashboard shows."""
    controls, scope, period = frame.controls, frame.scope, frame.period
    slice_ = controls.slice
    found = buckets(frame, selectors.series(scope, period, slice_))
    total = summed(b.totals for b in found)
    backlog = (
        selectors.backlog(scope, now=frame.now, slice_=slice_)
        if slice_.dim in BACKLOG_DIMS
        else None
    )
    at_risk, more_at_risk = _at_risk(frame)
    # The queue table splits by language, or by the slice chosen (one slice at a time).
    dim = slice_.dim or "language"
    vendors_shown = can_compare_vendors(frame) and slice_.dim in ("", "vendor")
    dims = tuple(dict.fromkeys([dim, *(["vendor"] if vendors_shown else [])]))
    tables, offered = selectors.breakdowns(
        scope,
        period,
        dims,
        by_queue=(dim,),
        queue_id=slice_.queue_id,
        values={slice_.dim: slice_.value} if slice_.dim and slice_.value is not None else None,
        choices=CHOICE_DIMS,
    )
    chart_data, chart_tables = charts(frame, found)
    return {
        "frame": frame,
        "summary": frame.summary(),
        "tiles": tiles(frame, total, backlog),
        "backlog_rows": backlog_rows(frame, backlog) if backlog is not None else [],
        "at_risk": at_risk,
        "more_at_risk": more_at_risk,
        "at_risk_link": frame.drill.at_risk(),
        "queue_table": _queue_table(frame, dim, tables[dim]),
        "vendor_table": _vendor_table(frame, by_value(tables["vendor"])) if vendors_shown else None,
        "vendors_hidden": can_compare_vendors(frame) and not vendors_shown,
        "chart_data": chart_data,
        "chart_tables": chart_tables,
        "choices": slice_choices(frame, offered),
    }


# ------------------------------------------------------------------ agents and vendors

AGENT_METRICS = ("solved", "replies", "first_reply", "sla", "reopen_rate", "csat", "qa")


def agents(frame: Frame) -> dict[str, Any]:
    """Per person in scope with any work in the range: solved, public replies, first
    reply median, SLA attainment, reopen rate; busiest first."""
    rows = selectors.breakdown(
        frame.scope, frame.period, "agent", queue_id=frame.controls.slice.queue_id
    )
    people = selectors.people_named(frame.user, [int(v) for _q, v, _t in rows if v.isdigit()])
    table = Table(
        caption=_("Agents"),
        heads=[_("Agent"), _("Team")],
        columns=[str(METRIC_LABELS[m]) for m in AGENT_METRICS],
        rows=[],
    )
    for _queue, value, totals in rows:
        person = people.get(int(value)) if value.isdigit() else None
        if person is None:
            continue  # someone this viewer may not see (or no longer exists)
        table.rows.append(
            TableRow(
                [person.get_full_name() or person.email, person.team.name if person.team else "—"],
                metric_cells(frame, totals, AGENT_METRICS, row={"assignee": str(person.pk)}),
            )
        )
    return {
        "frame": frame,
        "summary": frame.summary(),
        "table": table,
        "choices": slice_choices(frame, {}, dims=("queue",)),
    }


VENDOR_COMPARISON = (
    "created",
    "solved",
    "replies",
    "first_reply",
    "first_reply_p90",
    "first_reply_mean",
    "sla",
    "breaches",
    "reopen_rate",
    "one_touch",
    "csat",
    "qa",
)


def vendors(frame: Frame) -> dict[str, Any]:
    """Every vendor side by side (a column each) on the same metrics, with every vendor
    this person may see named, busy in the range or not."""
    found = {
        value: totals
        for _q, value, totals in selectors.breakdown(
            frame.scope, frame.period, "vendor", queue_id=frame.controls.slice.queue_id
        )
    }
    columns = [(str(pk), name) for pk, name in frame.names.vendors.items()]
    cells = {
        pk: metric_cells(frame, found.get(pk, Totals()), VENDOR_COMPARISON, row={"vendor": pk})
        for pk, _name in columns
    }
    rows = [
        TableRow([str(METRIC_LABELS[metric])], [cells[pk][n] for pk, _name in columns])
        for n, metric in enumerate(VENDOR_COMPARISON)
    ]
    table = Table(
        caption=_("Vendors side by side"),
        heads=[_("Metric")],
        columns=[name for _pk, name in columns],
        rows=rows,
    )
    return {
        "frame": frame,
        "summary": frame.summary(),
        "table": table,
        "choices": slice_choices(frame, {}, dims=("queue",)),
    }
