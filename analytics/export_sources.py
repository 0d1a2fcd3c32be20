"""The dashboards' tables as CSV exports (registered with ``exports.sources`` from
``AnalyticsConfig.ready``): every row of the table, the numbers as numbers, for the
controls of the page the export was started from, as the person who asked may see them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from analytics import tables
from analytics.forms import BUCKETS_FOR, RANGES, Controls, default_zone
from analytics.presenters import Frame
from exports import sources
from exports.sources import ExportError, Params

CONTROLS = ("range", "bucket", "slice", "tz")


def _parse(data: QueryDict) -> Params:
    """The page's controls, kept as given: they are checked against the person's scope
    when the rows are made (``_frame``), as the page checks them."""
    unknown = sorted(key for key, value in data.items() if key not in CONTROLS and value)
    if unknown:
        raise ExportError(_("This export does not take “%(name)s”.") % {"name": unknown[0]})
    params = {key: data.get(key, "").strip()[:100] for key in CONTROLS if data.get(key)}
    if params.get("range", "7") not in RANGES:
        raise ExportError(_("Choose a range from the list."))
    bucket = params.get("bucket")
    if bucket and bucket not in BUCKETS_FOR[RANGES[params.get("range", "7")]]:
        raise ExportError(_("This range is not charted by that bucket."))
    return params


def _frame(spec: tables.TableSpec, user: User, params: Params) -> Frame:
    frame, errors = tables.frame_for(user, params, slices=spec.slices, now=timezone.now())
    if errors:
        # A slice or zone the person may not see (any more): no file rather than another.
        raise ExportError(next(iter(errors.values()))[0])
    return frame


def _controls(user: User, params: Params, spec: tables.TableSpec) -> Controls:
    """The controls as far as the header needs them (the slice's name, the zone), with
    no read: a slice or zone the person may not see fails the rows, with its sentence."""
    dim, _colon, value = (params.get("slice") or "").partition(":")
    known = dim in spec.slices and bool(value)
    return Controls(range=params.get("range", "7"), bucket=params.get("bucket", "day"),
                    tz=params.get("tz") or default_zone(user),
                    slice_dim=dim if known else "", slice_value=value if known else "")  # fmt: skip


def _source(spec: tables.TableSpec) -> sources.ExportSource:
    def heading(user: User, params: Params) -> Sequence[str]:
        return spec.header(_controls(user, params, spec))

    def rows(user: User, params: Params) -> Iterable[Sequence[object]]:
        return spec.rows(_frame(spec, user, params))

    return sources.ExportSource(
        key=f"analytics.{spec.key}", title=spec.title, header=(), heading=heading, rows=rows,
        parse=_parse, visible_to=lambda user: tables.offered(spec, user),
        filename=f"analytics-{spec.key.replace('_', '-')}",
    )  # fmt: skip


SOURCES = [_source(spec) for spec in tables.TABLES.values()]


def register() -> None:
    for source in SOURCES:
        sources.register(source)
