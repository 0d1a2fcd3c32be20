"""Spike detection for hourly counts (per contact reason × language, per queue).

Pure functions over numpy arrays: no Django, no database. The caller (a beat task) reads the
counts, calls `detect_spikes`, applies the per-series cool-down with `may_alert`, and writes
alerts through the outbox.

Input: windows
--------------
A series is a 1-D array of counts in consecutive, non-overlapping 60-minute windows, oldest
first; the last element is the window under test. For an evaluation every 10 minutes over the
trailing hour [now - 60 min, now), pass the series' 10-minute bucket counts (the last bucket
ending at `now`) through `trailing_hour_windows`: it sums them in sixes counted back from
`now`, so every window in the history ends at the same minute past the hour as the one under
test and the seasonal comparison is like for like. Hourly rollups passed as they are give the
same thing at a clock-hour cadence.

Cadence: evaluate every 10 minutes, on the 10-minute boundary plus a short grace (30 s) so that
transactions in flight at the boundary have committed. A spike's excess builds up in the
trailing hour as it goes on; evaluating more often than every 10 minutes saves little delay
and adds correlated tests (more false alarms for the same thresholds); evaluating only at clock
hours would see a spike that starts at :30 split over two windows, each with half its excess.
History: 35 days of windows (840 hours) is what the baseline uses in full; at least
`Thresholds.min_history_hours` (14 days) of them are required before a series may alert.
A window before the series existed is NaN (not 0): a 2-D input pads new series on the left.

Baseline (the expected count) and why not MSTL
-----------------------------------------------
Counts are first put on the Anscombe scale, y = 2·sqrt(x + 3/8), where Poisson noise has a
standard deviation of about 1 at every volume. Without that, one MAD pooled over quiet nights
and busy afternoons would be too small for the afternoons (false alarms) and too large for
the nights.

  expected_y(t) = M(t) × level(t)
  M(t)     = median of y at t - 1, 2, 3 and 4 weeks (the same hour of the week; fewer weeks
             when the history is shorter). The hour-of-week slot holds both the daily and the
             weekly period (168 = 7 × 24), as MSTL's seasonal_24 + seasonal_168 do together;
             the median ignores one unusual week (last Tuesday's outage) where a mean or MSTL
             (unless robust) would carry it into this Tuesday's expected.
  level(t) = median over the previous 12 windows of y / M: how far today runs above or below
             the previous weeks (MSTL's trend), as a factor because a busy day is busier by a
             factor at night as in the afternoon. In the bench, 12 hours gave a smaller
             baseline error than 24 (which lags behind a day that turns busy: the false alarms
             traced there came from that) and than 6 (noisier); the median ignores a spike
             of a few hours among them.
  Smoothing each week's value with its neighbouring hours was tried: it halves the noise of M
  but biases it wherever the daily shape steps (a chat channel opening at 08:00 would then
  "spike" every morning), so it was left out.

Residuals r = y - expected_y are computed the same way, out of sample, for the last 14 days of
history; the score is the robust z of the window under test,
  z = (r_now - median(r_hist)) / max(1.4826 × MAD(r_hist), min_scale).
Older history points have fewer previous weeks for their median, so their residuals are a
little noisier than the current one's: the MAD errs large, the z small (never the reverse).
`min_scale` (0.5 on this scale, half of pure Poisson noise) keeps a series with no variance
(all zeros, or a machine sending exactly 10 an hour) from dividing by zero.

statsmodels' MSTL (periods 24 and 168) was measured on this machine on 672 hourly points:
0.27 s per fit, 1.75 s with robust=True (needed, or last week's spike leaks into this week's
expected). Ten-minute evaluation of 200 series would cost 54 s (350 s robust) of CPU every
10 minutes on a 2-core machine, against milliseconds here; and MSTL's remainder is in-sample
(shrunk towards 0), which would make its MAD too small. `bench/spikes.py --mstl` compares both
against the true rate of simulated traffic.

Alert rule
----------
All of: z ≥ min_z (4), count ≥ min_count (20), count ≥ min_ratio × expected (1.5), and, when
the expected count is below `poisson_below` (30), the Poisson upper tail
P(X ≥ count | expected) ≤ poisson_alpha (1e-4). The Poisson test is required *in addition to*
z, never instead: z measures the series' own dispersion (real tickets are burstier than
Poisson, and the baseline has its own error), which a Poisson test ignores, so replacing z
by it would raise false alarms on overdispersed series; but at low volume the residuals are
discrete (mostly 0s and 1s), their MAD collapses to the floor and z can run high on a few
tickets, which the exact tail catches. Above 30 expected the two agree and the test is moot.
A series with less than 14 days of history never alerts ("short_history").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import poisson  # type: ignore[import-untyped]  # no stubs for scipy 1.17

HOURS_PER_WEEK = 168
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Thresholds:
    min_z: float = 4.0
    min_count: int = 20
    min_ratio: float = 1.5
    # The Poisson test is also required while the expected count is below this.
    poisson_below: float = 30.0
    poisson_alpha: float = 1e-4
    # A series alerts only with this much history (in hours) before the window under test.
    min_history_hours: int = 14 * 24
    # Floor of 1.4826 × MAD on the Anscombe scale, where Poisson noise is 1.0.
    min_scale: float = 0.5
    cooldown: timedelta = timedelta(hours=6)
    # Baseline shape: previous weeks in the hour-of-week median, windows in the level
    # median, and windows of residual history behind the MAD.
    baseline_weeks: int = 4
    level_hours: int = 12
    residual_hours: int = 14 * 24
    # Below this many residuals the scale is not trusted: no alert.
    min_residuals: int = 72


DEFAULT_THRESHOLDS = Thresholds()


class Reason(StrEnum):
    """Why a window did (SPIKE) or did not alert; the first rule that failed."""

    SPIKE = "spike"
    SHORT_HISTORY = "short_history"
    BELOW_COUNT = "below_count"
    BELOW_RATIO = "below_ratio"
    BELOW_Z = "below_z"
    POISSON = "poisson"


@dataclass(frozen=True)
class SpikeResult:
    count: int
    expected: float  # the baseline, in counts per window
    residual: float  # count - expected, in counts
    z: float  # robust z of the residual on the Anscombe scale
    p_value: float  # Poisson P(X >= count | expected)
    is_spike: bool
    reason: Reason
    history_hours: int  # windows of history before the one under test


def anscombe(counts: ArrayLike) -> NDArray[np.float64]:
    """Variance-stabilising transform: Poisson counts get a standard deviation of about 1."""
    return 2.0 * np.sqrt(np.asarray(counts, dtype=float) + 0.375)


def inverse_anscombe(y: ArrayLike) -> NDArray[np.float64]:
    """Back to counts; the -1/8 (not -3/8) makes it unbiased for Poisson means."""
    return np.maximum((np.asarray(y, dtype=float) / 2.0) ** 2 - 0.125, 0.0)


def trailing_hour_windows(buckets: ArrayLike, buckets_per_window: int = 6) -> NDArray[np.float64]:
    """Sum short buckets (10-minute: 6 per window) into 60-minute windows counted back from the
    last bucket, along the last axis. Leftover buckets at the old end are dropped; a window with
    a missing (NaN) bucket is NaN."""
    b = np.asarray(buckets, dtype=float)
    n = b.shape[-1] // buckets_per_window
    tail = b[..., b.shape[-1] - n * buckets_per_window :]
    return tail.reshape(*b.shape[:-1], n, buckets_per_window).sum(axis=-1)


def _nanmedian(a: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """np.nanmedian, several times faster on many short slices (it sorts once; NaN sorts
    last). An all-NaN slice gives NaN."""
    ordered = np.sort(a, axis=axis)
    valid = np.sum(~np.isnan(a), axis=axis, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum(valid - 1, 0) // 2, axis=axis)
    high = np.take_along_axis(ordered, valid // 2, axis=axis)
    median = np.where(valid > 0, (low + high) / 2.0, np.nan)
    return np.squeeze(median, axis=axis)


def _scores(
    x: NDArray[np.float64], t: Thresholds
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """Expected (Anscombe scale), robust z, and residual count for the last window of each
    row of x (series × windows, NaN = no data)."""
    n_series, n = x.shape
    now = n - 1
    first = max(0, now - t.residual_hours - t.level_hours)
    positions = np.arange(first, n)
    y = anscombe(x)

    # seasonal[j]: the median over the previous weeks at the same hour of the week. (Smoothing
    # each week with its neighbouring hours halves its noise but shifts it where the daily
    # shape steps, e.g. a channel that opens at 08:00, which then "spikes" every morning.)
    lagged = np.full((n_series, t.baseline_weeks, positions.size), np.nan)
    for week in range(1, t.baseline_weeks + 1):
        source = positions - week * HOURS_PER_WEEK
        ok = source >= 0
        lagged[:, week - 1, ok] = y[:, source[ok]]
    seasonal = _nanmedian(lagged, axis=1)
    ratio = y[:, positions] / seasonal  # seasonal >= 2·sqrt(3/8) > 0

    # level[j]: median ratio over the level_hours windows just before positions[j + level_hours].
    past = np.lib.stride_tricks.sliding_window_view(ratio, t.level_hours, axis=1)[:, :-1]
    level = _nanmedian(past, axis=2)
    expected = seasonal[:, t.level_hours :] * level
    residuals = y[:, positions[t.level_hours :]] - expected

    history, current = residuals[:, :-1], residuals[:, -1]
    centre = _nanmedian(history, axis=1)
    mad = _nanmedian(np.abs(history - centre[:, None]), axis=1)
    scale = np.maximum(MAD_TO_SD * mad, t.min_scale)
    z = (current - centre) / scale
    return expected[:, -1], z, np.sum(~np.isnan(history), axis=1)


def detect_spikes(
    windows: ArrayLike, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> list[SpikeResult]:
    """Score the last window of each series. `windows` is 1-D (one series) or 2-D (series ×
    windows, one shared time axis, NaN before a series existed)."""
    t = thresholds
    x = np.atleast_2d(np.asarray(windows, dtype=float))
    n_series, n = x.shape
    counts = np.nan_to_num(x[:, -1]).astype(np.int64)
    history_hours = np.sum(~np.isnan(x[:, :-1]), axis=1)
    if n - 1 < max(t.min_history_hours, t.level_hours + 1):
        expected_y = np.full(n_series, np.nan)
        z = np.full(n_series, np.nan)
        n_residuals = np.zeros(n_series, dtype=np.intp)
    else:
        expected_y, z, n_residuals = _scores(x, t)
    expected = inverse_anscombe(expected_y)
    p_values = poisson.sf(counts - 1, expected)

    results = []
    for i in range(n_series):
        count, exp, zi, p = int(counts[i]), float(expected[i]), float(z[i]), float(p_values[i])
        if (
            history_hours[i] < t.min_history_hours
            or n_residuals[i] < t.min_residuals
            or np.isnan(exp)
            or np.isnan(zi)
        ):
            reason = Reason.SHORT_HISTORY
        elif count < t.min_count:
            reason = Reason.BELOW_COUNT
        elif count < t.min_ratio * exp:
            reason = Reason.BELOW_RATIO
        elif zi < t.min_z:
            reason = Reason.BELOW_Z
        elif exp < t.poisson_below and p > t.poisson_alpha:
            reason = Reason.POISSON
        else:
            reason = Reason.SPIKE
        results.append(
            SpikeResult(
                count=count,
                expected=exp,
                residual=count - exp,
                z=zi,
                p_value=p,
                is_spike=reason is Reason.SPIKE,
                reason=reason,
                history_hours=int(history_hours[i]),
            )
        )
    return results


def detect_spike(windows: ArrayLike, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> SpikeResult:
    """Score the last window of one series (see `detect_spikes`)."""
    return detect_spikes(np.asarray(windows, dtype=float).reshape(1, -1), thresholds)[0]


def may_alert(
    last_alert_at: datetime | None,
    now: datetime,
    cooldown: timedelta = DEFAULT_THRESHOLDS.cooldown,
) -> bool:
    """Whether a series whose last alert fired at `last_alert_at` may alert again at `now`.

    The cool-down runs from the last alert that fired, not from the last window that scored
    as a spike: a surge lasting all day alerts once, then again every `cooldown` while it
    lasts."""
    return last_alert_at is None or now - last_alert_at >= cooldown
