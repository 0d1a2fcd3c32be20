"""The dashboards' tables as data: numbers as numbers, every row, for a CSV export and
for a scheduled report (the pages show the same tables in words, ``presenters``).

A column's unit is in its header: durations in minutes, rates in per cent, counts as
they are; a number that was not measured (no solved ticket, no SLA target) is ``None``,
an empty cell. Each builder reads through the frame's scope (``metric_scope``), in one
``breakdown``/``breakdowns``/``series`` read: the same statements the page makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from analytics import metrics, presenters, selectors
from analytics.forms import SLICE_DIMS, SLICE_LABELS, Controls, DashboardForm
from analytics.metrics import Totals
from analytics.presenters import Frame
from tickets.selectors import visible_queue_list

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

Value = int | float | str | datetime | None

RAW_LABELS: dict[str, StrPromise] = {
    "created": gettext_lazy("Created"),
    "solved": gettext_lazy("Solved"),
    "replies": gettext_lazy("Public replies"),
    "first_reply": gettext_lazy("First reply, median (minutes)"),
    "first_reply_p90": gettext_lazy("First reply, p90 (minutes)"),
    "first_reply_mean": gettext_lazy("First reply, mean (minutes)"),
    "sla": gettext_lazy("SLA attainment (%)"),
    "breaches": gettext_lazy("SLA breaches"),
    "reopen_rate": gettext_lazy("Reopen rate (%)"),
    "one_touch": gettext_lazy("One-touch (%)"),
    "csat": gettext_lazy("CSAT, good ratings (%)"),
    "csat_responses": gettext_lazy("CSAT responses"),
    "csat_response_rate": gettext_lazy("CSAT response rate (%)"),
    "qa": gettext_lazy("IQS (0–100)"),
    "qa_reviews": gettext_lazy("QA reviews"),
}
# The metrics a report's key numbers and every table hold, in their order.
KEY_METRICS = ("created", "solved", "first_reply", "first_reply_p90", "sla", "reopen_rate",
               "one_touch", "csat", "csat_responses", "csat_response_rate", "qa",
               "qa_reviews")  # fmt: skip


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _per_cent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def raw_values(totals: Totals, names: tuple[str, ...]) -> list[Value]:
    """The metrics ``names`` of ``totals`` as numbers in the units of ``RAW_LABELS``."""
    first = metrics.duration(totals, "first_reply")
    values: dict[str, Value] = {
        "created": int(totals["created"]),
        "solved": int(totals["solved"]),
        "replies": int(totals["replies"]),
        "first_reply": _minutes(first.median),
        "first_reply_p90": _minutes(first.p90),
        "first_reply_mean": _minutes(first.mean),
        "sla": _per_cent(metrics.sla_attainment(totals)),
        "breaches": metrics.breaches(totals),
        "reopen_rate": _per_cent(metrics.reopen_rate(totals)),
        "one_touch": _per_cent(metrics.one_touch_rate(totals)),
        "csat": _per_cent(metrics.csat(totals)),
        "csat_responses": metrics.csat_responses(totals),
        "csat_response_rate": _per_cent(metrics.csat_response_rate(totals)),
        "qa": None if metrics.qa(totals) is None else round(metrics.qa(totals) or 0, 1),
        "qa_reviews": metrics.qa_reviews(totals),
    }
    return [values[name] for name in names]


def _columns(names: tuple[str, ...]) -> list[str]:
    return [str(RAW_LABELS[name]) for name in names]


def _dim(controls: Controls) -> str:
    return controls.slice_dim if controls.slice_dim not in ("", "queue") else "language"


# ------------------------------------------------------------------ the tables


def by_queue_header(controls: Controls) -> list[str]:
    return [_("Queue"), str(SLICE_LABELS[_dim(controls)]), *_columns(KEY_METRICS)]


def by_queue_rows(frame: Frame) -> list[list[Value]]:
    """The dashboard's table by queue × language (or × the chosen slice), every row."""
    slice_, dim = frame.controls.slice, _dim(frame.controls)
    values = {slice_.dim: slice_.value} if slice_.dim and slice_.value is not None else None
    found, _offered = selectors.breakdowns(frame.scope, frame.period, (dim,), by_queue=(dim,),
                                           queue_id=slice_.queue_id, values=values)  # fmt: skip
    return [
        [
            frame.label("queue", str(queue)) if queue is not None else "",
            frame.label(dim, value),
            *raw_values(totals, KEY_METRICS),
        ]  # fmt: skip
        for queue, value, totals in found[dim]
    ]


def by_vendor_header(controls: Controls) -> list[str]:
    return [_("Vendor"), *_columns(KEY_METRICS)]


def by_vendor_rows(frame: Frame) -> list[list[Value]]:
    """Each vendor's numbers, a row each."""
    rows = selectors.breakdown(frame.scope, frame.period, "vendor",
                               queue_id=frame.controls.slice.queue_id)  # fmt: skip
    return [[frame.label("vendor", value), *raw_values(totals, KEY_METRICS)]
            for value, totals in presenters.by_value(rows)]  # fmt: skip


AGENT_COLUMNS = ("solved", "replies", "first_reply", "sla", "reopen_rate")


def agents_header(controls: Controls) -> list[str]:
    return [_("Agent"), _("Email"), _("Team"), *_columns(AGENT_COLUMNS)]


def agents_rows(frame: Frame) -> list[list[Value]]:
    """The agent table: each person in scope with work in the range, busiest first."""
    rows = selectors.breakdown(frame.scope, frame.period, "agent",
                               queue_id=frame.controls.slice.queue_id)  # fmt: skip
    people = selectors.people_named(frame.user, [int(v) for _q, v, _t in rows if v.isdigit()])
    found: list[list[Value]] = []
    for _queue, value, totals in rows:
        person = people.get(int(value)) if value.isdigit() else None
        if person is None:
            continue  # someone this viewer may not see (or no longer exists)
        found.append([person.get_full_name() or person.email, person.email,
                      person.team.name if person.team else "",
                      *raw_values(totals, AGENT_COLUMNS)])  # fmt: skip
    return found


def over_time_header(controls: Controls) -> list[str]:
    zone = {"zone": controls.tz}
    return [_("From (%(zone)s)") % zone, _("To (%(zone)s)") % zone, *_columns(KEY_METRICS)]


def over_time_rows(frame: Frame) -> list[list[Value]]:
    """The charts' numbers: one row per bucket of the range (hour, day or week)."""
    found = presenters.buckets(frame, selectors.series(frame.scope, frame.period,
                                                       frame.controls.slice))  # fmt: skip
    # Wall-clock times in the frame's zone, the one the header names (an aware time would
    # be written in the zone the export was started in).
    zone = ZoneInfo(frame.period.tz)
    return [[bucket.start.astimezone(zone).replace(tzinfo=None),
             bucket.end.astimezone(zone).replace(tzinfo=None),
             *raw_values(bucket.totals, KEY_METRICS)] for bucket in found]  # fmt: skip


@dataclass(frozen=True)
class TableSpec:
    key: str
    title: StrPromise
    header: Callable[[Controls], list[str]]
    rows: Callable[[Frame], list[list[Value]]]
    # The slices the table's controls take (as the page it is on).
    slices: tuple[str, ...] = SLICE_DIMS
    # Only for those who may compare vendors (admins and in-house leads).
    vendors_only: bool = False


TABLES: dict[str, TableSpec] = {
    spec.key: spec
    for spec in (
        TableSpec("by_queue", gettext_lazy("Dashboard: by queue"), by_queue_header, by_queue_rows),
        TableSpec(
            "by_vendor",
            gettext_lazy("Dashboard: by vendor"),
            by_vendor_header,
            by_vendor_rows,
            vendors_only=True,
        ),
        TableSpec(
            "over_time", gettext_lazy("Dashboard: over time"), over_time_header, over_time_rows
        ),
        TableSpec("agents", gettext_lazy("Agents"), agents_header, agents_rows, slices=("queue",)),
    )  # fmt: skip
}


def may_compare_vendors(user: User) -> bool:
    return selectors.metric_scope(user).compare_vendors or user.is_admin


def offered(spec: TableSpec, user: User) -> bool:
    return selectors.can_view(user) and (not spec.vendors_only or may_compare_vendors(user))


def frame_for(user: User, data: QueryDict | dict[str, str], *, slices: tuple[str, ...],
              now: datetime) -> tuple[Frame, dict[str, list[str]]]:  # fmt: skip
    """The frame a page with these controls would show ``user``, and the controls'
    errors by field (a value refused is replaced by its default, as on the page)."""
    names = selectors.visible_names(user)
    queues = {queue.pk: queue.name for queue in visible_queue_list(user)}
    form = DashboardForm(data, user=user, queues=queues, names=names, slices=slices)
    controls = form.controls()
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    return presenters.frame(user, controls, names=names, queues=queues, now=now), errors
