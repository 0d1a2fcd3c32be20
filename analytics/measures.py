"""The measures analytics keeps, in one place: the facts' kinds and the rollups' columns.

A *fact* is one thing that happened to a ticket, dated to the moment it counts for, with
a sign (+1, or -1 to take back an earlier fact) and, for some kinds, a value. Rollups sum
facts per hour and slice into one column (or three) per kind:

- a **count** kind sums the signs into one column (``created``, ``solved`` …);
- a **value** kind keeps ``<kind>_n`` and ``<kind>_sum`` (a mean: replies per solved
  ticket; CSAT, a rating's value 1 if good and 0 if not, so the mean is the good share;
  the QA slot);
- a **duration** kind (seconds) keeps ``_n``, ``_sum`` and ``_hist``, a log-scale
  histogram from which medians and p90s are read (``analytics.metrics``).

The definitions of the metrics built on these are in ``analytics.metrics`` and
docs/metrics.md.
"""

from __future__ import annotations

import math

COUNT_KINDS = (
    "created",
    "solved",
    "reopened",
    # +1 at the creation hour while a ticket is active, -1 when it is solved: summed over
    # creation hours, the backlog by age, to the hour and without reading tickets.
    "open",
    # +1 at the hour of a solve the ticket was reopened from within seven days.
    "reopened_7d",
    "replies",
    "one_touch",
    "escalated",
    "incident_linked",
    "sla_met_first_reply",
    "sla_breached_first_reply",
    "sla_met_next_reply",
    "sla_breached_next_reply",
    "sla_met_resolution",
    "sla_breached_resolution",
    # Satisfaction surveys sent (the quality app), at the hour they went out: the
    # response rate's denominator.
    "csat_sent",
)
VALUE_KINDS = ("replies_per_solved", "csat", "qa")
DURATION_KINDS = ("first_reply", "first_reply_business", "resolution", "wait")
ALL_KINDS = COUNT_KINDS + VALUE_KINDS + DURATION_KINDS

# The slices a fact is counted under besides the total ("" = all): each rollup row is
# one slice's value. One slice at a time combines with the queue filter and scoping.
SLICES = ("language", "channel", "category", "priority", "tag", "vendor", "team", "agent", "reason")
# "reason" is the contact reason in one language ("<category>/<language>"): the series
# spike detection watches (analytics.spikes).

# Histogram: bucket 0 holds [0, 1 s); bucket i ≥ 1 holds [2^((i-1)/6), 2^(i/6)) seconds,
# six buckets a doubling (±6% on a percentile read from it) up to about 2^24.7 s (303
# days); the last bucket holds everything longer. Migration 0002 writes the size out.
BUCKETS_PER_DOUBLING = 6
HIST_SIZE = 150


def bucket_of(seconds: float) -> int:
    """Which histogram bucket holds ``seconds`` (as the SQL ``analytics_bucket`` does)."""
    if seconds < 1:
        return 0
    return min(HIST_SIZE - 1, 1 + math.floor(BUCKETS_PER_DOUBLING * math.log2(seconds)))


def bucket_bounds(index: int) -> tuple[float, float]:
    if index == 0:
        return 0.0, 1.0
    return (2 ** ((index - 1) / BUCKETS_PER_DOUBLING), 2 ** (index / BUCKETS_PER_DOUBLING))


def columns(kind: str) -> tuple[str, ...]:
    if kind in COUNT_KINDS:
        return (kind,)
    if kind in VALUE_KINDS:
        return (f"{kind}_n", f"{kind}_sum")
    return (f"{kind}_n", f"{kind}_sum", f"{kind}_hist")


def all_columns() -> list[str]:
    """Every measure's rollup columns, in the order of ``ALL_KINDS``."""
    return [column for kind in ALL_KINDS for column in columns(kind)]
