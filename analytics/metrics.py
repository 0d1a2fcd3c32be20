"""The metric dictionary: each metric's one definition, read from summed rollup columns.

``Totals`` is what the selectors sum from the rollups for a period and slice; each
function below turns it into one metric. docs/metrics.md says the same in words, and
tests/analytics/test_metrics.py checks each on hand-worked tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from analytics import measures

SLA_TARGETS = ("first_reply", "next_reply", "resolution")


@dataclass
class Totals:
    """Summed rollup columns: counts and sums by column name, histograms by kind."""

    values: dict[str, float] = field(default_factory=dict)
    hists: dict[str, list[int]] = field(default_factory=dict)

    def __getitem__(self, column: str) -> float:
        return self.values.get(column, 0) or 0


def ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom else None


def percentile(hist: Sequence[int] | None, q: float) -> float | None:
    """The q-quantile (0 < q < 1) of the durations a histogram holds, in seconds: the
    bucket where the running count passes q × n, interpolated geometrically inside it
    (exact to the bucket's width, ±6%)."""
    if not hist:
        return None
    n = sum(hist)
    if n <= 0:
        return None
    rank = q * n
    seen = 0
    for index, count in enumerate(hist):
        if count <= 0:
            continue
        if seen + count >= rank:
            low, high = measures.bucket_bounds(index)
            # The bucket's durations spread evenly across it: the rank's share of them.
            # (One duration alone is read at the bucket's middle, within ±6% of it.)
            share = min(1.0, max(0.0, (rank - seen) / count))
            if index == 0:
                return low + (high - low) * share
            return low * (high / low) ** share
        seen += count
    return measures.bucket_bounds(len(hist) - 1)[0]


def mean(totals: Totals, kind: str) -> float | None:
    return ratio(totals[f"{kind}_sum"], totals[f"{kind}_n"])


@dataclass(frozen=True)
class Duration:
    """A time metric: median and p90 shown, the mean beside them."""

    median: float | None
    p90: float | None
    mean: float | None
    n: int


def duration(totals: Totals, kind: str) -> Duration:
    hist = totals.hists.get(kind)
    return Duration(median=percentile(hist, 0.5), p90=percentile(hist, 0.9),
                    mean=mean(totals, kind), n=int(totals[f"{kind}_n"]))  # fmt: skip


def sla_attainment(totals: Totals, target: str | None = None) -> float | None:
    """Met / (met + breached), for one target or all three."""
    targets = [target] if target else SLA_TARGETS
    met = sum(totals[f"sla_met_{t}"] for t in targets)
    breached = sum(totals[f"sla_breached_{t}"] for t in targets)
    return ratio(met, met + breached)


def breaches(totals: Totals) -> int:
    return int(sum(totals[f"sla_breached_{t}"] for t in SLA_TARGETS))


def solved_last(totals: Totals) -> float:
    """Tickets whose last solve falls in the period (a reopen takes a solve back)."""
    return totals["replies_per_solved_n"]


def reopen_rate(totals: Totals) -> float | None:
    """Solves in the period that were reopened within seven days, over all solves."""
    return ratio(totals["reopened_7d"], totals["solved"])


def one_touch_rate(totals: Totals) -> float | None:
    """Of the tickets last solved in the period, those with exactly one public reply."""
    return ratio(totals["one_touch"], solved_last(totals))


def replies_per_solved(totals: Totals) -> float | None:
    return mean(totals, "replies_per_solved")


def escalation_rate(totals: Totals) -> float | None:
    """Escalations raised in the period over tickets created in it."""
    return ratio(totals["escalated"], totals["created"])


def incident_share(totals: Totals) -> float | None:
    """Tickets linked to an incident in the period over tickets created in it."""
    return ratio(totals["incident_linked"], totals["created"])


def csat(totals: Totals) -> float | None:
    """CSAT: of the ratings given in the period (dated by their first rating, counted at
    their latest value), the share that are good (4 or 5 of 5, or "good")."""
    return mean(totals, "csat")


def csat_responses(totals: Totals) -> int:
    return int(totals["csat_n"])


def csat_response_rate(totals: Totals) -> float | None:
    """Ratings given in the period over surveys sent in it."""
    return ratio(totals["csat_n"], totals["csat_sent"])


def qa(totals: Totals) -> float | None:
    """IQS (internal quality score): the mean score (0–100) of the QA reviews submitted in
    the period, at their latest score (a dispute's decision replaces it); calibration
    reviews are not counted."""
    return mean(totals, "qa")


def qa_reviews(totals: Totals) -> int:
    return int(totals["qa_n"])


# Backlog age buckets: (key, label, lower bound in hours, upper bound in hours or None).
AGE_BUCKETS: tuple[tuple[str, object, float, float | None], ...] = (
    ("lt1h", _("< 1 h"), 0, 1),
    ("1to8h", _("1–8 h"), 1, 8),
    ("8to24h", _("8–24 h"), 8, 24),
    ("1to3d", _("1–3 d"), 24, 72),
    ("3to7d", _("3–7 d"), 72, 168),
    ("gt7d", _("> 7 d"), 168, None),
)


@dataclass(frozen=True)
class Tile:
    key: str
    label: object
    compute: Callable[[Totals], object]
    format: str  # "count", "percent", "duration", "number"


TILES = (
    Tile("created", _("Created"), lambda t: int(t["created"]), "count"),
    Tile("solved", _("Solved"), lambda t: int(t["solved"]), "count"),
    Tile("first_reply", _("First reply"), lambda t: duration(t, "first_reply"), "duration"),
    Tile("sla", _("SLA attainment"), sla_attainment, "percent"),
    Tile("reopen_rate", _("Reopen rate"), reopen_rate, "percent"),
    Tile("one_touch", _("One-touch"), one_touch_rate, "percent"),
    Tile("csat", _("CSAT"), csat, "percent"),
)

# Columns whose histograms a page needs (each costs HIST_SIZE sums in the query).
TILE_HISTOGRAMS = ("first_reply",)
