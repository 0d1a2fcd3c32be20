"""Spike detection (analytics.spikes) on hand-worked series.

On the Anscombe scale y = 2·sqrt(x + 3/8) used by the detector, a flat series of 10 an hour
is y = 2·sqrt(10.375) = 6.442 everywhere: every residual is 0, so the MAD is 0 and the scale is
the Poisson floor, the standard deviation of y for Poisson counts at the expected 10.25 (1.0004,
`anscombe_sd`); the expected count comes back as 10.375 - 1/8 = 10.25. `MAD_ONLY` turns that
floor off, leaving the old floor of 0.5, to show what the Poisson test guards against.
"""

import math
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analytics.spikes import (
    DEFAULT_THRESHOLDS,
    Reason,
    anscombe,
    anscombe_sd,
    detect_spike,
    detect_spikes,
    may_alert,
    trailing_hour_windows,
)

DAY = 24
MAD_ONLY = replace(DEFAULT_THRESHOLDS, poisson_scale=False)


def sd(mean: float) -> float:
    return float(anscombe_sd(np.array([mean]))[0])


def flat(value: float, days: int = 21) -> np.ndarray:
    """`days` of history at `value` an hour, plus the window under test (also `value`)."""
    return np.full(days * DAY + 1, float(value))


def with_current(history: np.ndarray, count: float) -> np.ndarray:
    series = history.copy()
    series[-1] = count
    return series


def office_hours(days: int = 35) -> np.ndarray:
    """A noiseless week repeated: 30 an hour at night, 90 from 08:00 to 20:00 on weekdays,
    30 all weekend. Index 0 is a Monday 00:00; the last window is the one under test."""
    hours = np.arange(days * DAY + 1)
    weekday = (hours // DAY) % 7 < 5
    daytime = (hours % DAY >= 8) & (hours % DAY < 20)
    return np.where(weekday & daytime, 90.0, 30.0)


def poisson_seasonal(mean: float, days: int = 35, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts around a smooth daily and weekly shape; returns (counts, true rate)."""
    hours = np.arange(days * DAY + 1)
    daily = 1 + 0.6 * np.sin(2 * np.pi * (hours % DAY - 8) / DAY)
    weekly = np.where((hours // DAY) % 7 < 5, 1.15, 0.6)
    rate = mean * daily * weekly
    return np.random.default_rng(seed).poisson(rate).astype(float), rate


def test_flat_series_expects_its_level_and_scores_zero():
    result = detect_spike(flat(10))

    assert result.expected == pytest.approx(10.25)
    assert result.z == 0.0
    assert result.is_spike is False
    assert result.reason == Reason.BELOW_COUNT


def test_poisson_noise_at_the_expected_count_is_the_scale_floor():
    assert anscombe_sd(np.array([0.0]))[0] == 0.0
    assert sd(1.0) == pytest.approx(0.847, abs=1e-3)  # quieter than 1 at tiny means
    assert [sd(m) for m in (3, 10, 29.9, 30, 500)] == pytest.approx([1.0] * 5, abs=0.01)


def test_zero_mad_uses_the_scale_floor_instead_of_dividing_by_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a division by zero would warn
        quiet = detect_spike(flat(0))
        result = detect_spike(with_current(flat(10), 40))
        mad_only = detect_spike(with_current(flat(10), 40), MAD_ONLY)

    assert quiet.z == 0.0 and quiet.is_spike is False  # sd(0) = 0: the floor of 0.5 holds
    assert result.z == pytest.approx((anscombe(40) - anscombe(10)) / sd(10.25))  # 6.26
    assert result.is_spike is True
    assert mad_only.z == pytest.approx((anscombe(40) - anscombe(10)) / 0.5)  # 12.53
    assert result.reason == Reason.SPIKE


def test_seasonal_series_expects_the_same_hour_of_the_week():
    # Day 32 is a Friday; index 32*24 + 14 is Friday 14:00, in office hours. Every previous
    # Friday 14:00 was 90, and so was the level over the last 12 hours (ratio 1).
    series = office_hours()[: 32 * DAY + 14 + 1]
    result = detect_spike(series)

    assert result.expected == pytest.approx(90.25)
    assert result.is_spike is False


def test_seasonal_series_three_times_its_hour_is_a_spike():
    series = with_current(office_hours()[: 32 * DAY + 14 + 1], 270)
    result = detect_spike(series)

    assert result.is_spike is True
    assert result.residual == pytest.approx(270 - 90.25)
    assert result.z >= 4


def test_seasonal_series_a_1_2_times_bump_is_not_a_spike():
    series = with_current(office_hours()[: 32 * DAY + 14 + 1], 108)
    result = detect_spike(series)

    # 108 < 1.5 × 90.25, and z = (y(108) - y(90)) / 1.0 = 1.8 would not pass either.
    assert result.reason == Reason.BELOW_RATIO
    assert result.z == pytest.approx((anscombe(108) - anscombe(90)) / sd(90.25))
    assert result.z < 4


def test_night_hour_of_a_seasonal_series_is_judged_against_nights():
    # Friday 03:00: 90 would be an ordinary afternoon but is three times a night.
    series = with_current(office_hours()[: 32 * DAY + 3 + 1], 90)
    result = detect_spike(series)

    assert result.expected == pytest.approx(30.25)
    assert result.is_spike is True


def test_noisy_seasonal_series_flags_3x_and_not_1_2x_at_any_hour_of_a_day():
    counts, rate = poisson_seasonal(mean=120)
    ends = range(len(counts) - DAY, len(counts))  # the last 24 hours, each as "now"

    ordinary = [detect_spike(counts[: end + 1]) for end in ends]
    triple = [detect_spike(with_current(counts[: end + 1], round(3 * rate[end]))) for end in ends]
    bump = [detect_spike(with_current(counts[: end + 1], round(1.2 * rate[end]))) for end in ends]

    errors = [
        abs(r.expected - rate[end]) / rate[end] for r, end in zip(ordinary, ends, strict=True)
    ]
    assert np.median(errors) < 0.1
    assert not any(r.is_spike for r in ordinary)
    assert all(r.is_spike for r in triple)
    assert not any(r.is_spike for r in bump)


def test_neighbouring_hours_cut_the_baseline_error_of_a_noisy_series():
    counts, rate = poisson_seasonal(mean=20, days=42, seed=7)
    ends = range(len(counts) - 7 * DAY, len(counts))  # a week of windows, 35 days behind each
    rows = np.vstack([counts[end - 35 * DAY : end + 1] for end in ends])
    same_hour = replace(DEFAULT_THRESHOLDS, neighbour_hours=0)  # the median of 4 values

    def rmse(thresholds):
        expected = [result.expected for result in detect_spikes(rows, thresholds)]
        return np.sqrt(np.mean((anscombe(expected) - anscombe(rate[list(ends)])) ** 2))

    # On the Anscombe scale, where the counts' own noise is 1.0: 0.44 against 0.60.
    assert rmse(DEFAULT_THRESHOLDS) < 0.85 * rmse(same_hour)


@pytest.mark.parametrize(
    ("day", "hour", "expected"),
    [
        (28, 7, 30.25),  # Monday 07:00, the hour before the weekdays open
        (28, 8, 90.25),  # Monday 08:00, the first open hour, after a flat weekend
        (32, 20, 30.25),  # Friday 20:00, the first closed hour
        (33, 7, 30.25),  # Saturday 07:00: weekends stay flat at 30 all day
        (33, 8, 30.25),
        (34, 10, 30.25),  # Sunday 10:00
    ],
)
def test_neighbouring_hours_keep_the_steps_of_the_week(day, hour, expected):
    # The neighbours (two hours each side, four weeks back) are carried over to this hour by
    # the ratio of the daily profile, so a step every day (08:00, 20:00) stays sharp; the
    # median keeps the steps the profile does not know (weekend mornings are not weekday
    # mornings): at Saturday 08:00, 8 of the 20 neighbours say 90 and 12 say 30.
    result = detect_spike(office_hours(days=36)[: day * DAY + hour + 1])

    assert result.expected == pytest.approx(expected)
    assert result.is_spike is False


def test_level_ignores_a_recent_surge():
    # 60 an hour, with a two-hour surge to 180 five hours ago: the level leaves out the 3 of its
    # 12 windows with the highest ratio (and the 3 lowest), so the surge does not lift it.
    series = flat(60)
    series[-6:-4] = 180

    assert detect_spike(series).expected == pytest.approx(60.25)
    assert detect_spike(series, replace(DEFAULT_THRESHOLDS, level_trim=0)).expected > 70


def test_low_counts_under_the_floor_do_not_alert_however_unlikely():
    # 4.5 times a flat 4 an hour: z (4.39) and the Poisson tail both say spike; the floor no.
    result = detect_spike(with_current(flat(4), 18))

    assert result.z >= 4
    assert result.p_value < 1e-4
    assert result.is_spike is False
    assert result.reason == Reason.BELOW_COUNT


def test_poisson_test_vetoes_a_high_z_on_a_quiet_series():
    # Flat 12 with the MAD alone: z = (y(21) - y(12)) / 0.5 = 4.42 and 21 >= 1.5 × 12.25, but
    # 21 tickets against 12.25 expected is no surprise for Poisson counts: P(X >= 21) = 1.2 %.
    result = detect_spike(with_current(flat(12), 21), MAD_ONLY)
    tail = 1 - sum(math.exp(-12.25) * 12.25**k / math.factorial(k) for k in range(21))

    assert result.z == pytest.approx((anscombe(21) - anscombe(12)) / 0.5)
    assert result.z >= 4
    assert result.p_value == pytest.approx(tail)
    assert result.reason == Reason.POISSON
    assert result.is_spike is False


def test_poisson_scale_floor_keeps_z_honest_on_a_series_with_no_variance():
    # The same window with the default Poisson floor under the scale: z = 2.2, not 4.4.
    result = detect_spike(with_current(flat(12), 21))

    assert result.z == pytest.approx((anscombe(21) - anscombe(12)) / sd(12.25))
    assert result.reason == Reason.BELOW_Z


def test_poisson_test_passes_a_real_surge_on_a_quiet_series():
    result = detect_spike(with_current(flat(12), 40))

    assert result.p_value < 1e-6
    assert result.is_spike is True


def test_poisson_test_applies_only_below_its_expected_count():
    series = with_current(flat(12), 21)

    assert detect_spike(series, replace(MAD_ONLY, poisson_below=0)).is_spike is True
    assert detect_spike(series, replace(MAD_ONLY, poisson_alpha=0.05)).is_spike is True


def test_thresholds_are_configurable():
    series = with_current(flat(10), 18)  # z = 4.6 on the MAD alone, ratio 1.76, but under 20

    assert detect_spike(series, MAD_ONLY).reason == Reason.BELOW_COUNT
    lower_floor = replace(MAD_ONLY, min_count=15, poisson_alpha=0.05)
    assert detect_spike(series, lower_floor).is_spike is True
    assert detect_spike(series, replace(lower_floor, min_z=5)).reason == Reason.BELOW_Z
    assert detect_spike(series, replace(lower_floor, min_ratio=2)).reason == Reason.BELOW_RATIO
    assert detect_spike(series, replace(lower_floor, poisson_scale=True)).z < 4


def test_short_history_never_alerts():
    result = detect_spike(with_current(flat(10, days=13), 500))

    assert result.is_spike is False
    assert result.reason == Reason.SHORT_HISTORY
    assert result.history_hours == 13 * DAY


def test_fourteen_days_of_history_is_enough():
    result = detect_spike(with_current(flat(10, days=14), 40))

    assert result.history_hours == 14 * DAY
    assert result.is_spike is True


def test_new_series_padded_with_nan_is_short_history_beside_an_old_one():
    old = with_current(flat(10, days=35), 40)
    new = old.copy()
    new[: 25 * DAY] = np.nan  # it started ten days ago

    old_result, new_result = detect_spikes(np.vstack([old, new]))

    assert old_result.is_spike is True
    assert new_result.reason == Reason.SHORT_HISTORY
    assert new_result.history_hours == 10 * DAY


def test_batch_scores_each_series_as_alone():
    counts, _ = poisson_seasonal(mean=60)
    rows = [counts, with_current(counts, 400), flat(10, days=35)]

    batch = detect_spikes(np.vstack(rows))

    assert batch == [detect_spike(row) for row in rows]


def test_trailing_hour_windows_count_back_from_the_last_bucket():
    buckets = np.arange(14, dtype=float)  # 14 ten-minute buckets, the last one ends now

    windows = trailing_hour_windows(buckets)

    # The two oldest buckets (0, 1) do not fill a window and are dropped.
    assert windows.tolist() == [2 + 3 + 4 + 5 + 6 + 7, 8 + 9 + 10 + 11 + 12 + 13]
    assert trailing_hour_windows(np.vstack([buckets, buckets])).shape == (2, 2)


def test_cool_down_holds_a_series_for_six_hours_after_its_last_alert():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    assert may_alert(None, now) is True
    assert may_alert(now - timedelta(hours=5, minutes=50), now) is False
    assert may_alert(now - timedelta(hours=6), now) is True
    assert may_alert(now - timedelta(hours=2), now, cooldown=timedelta(hours=1)) is True
