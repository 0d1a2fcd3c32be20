"""When demo tickets arrive: a seasonal arrival process, a backlog of the youngest, a spike.

Tickets arrive hour by hour in proportion to an intensity: a slow upward trend, a
weekly shape (weekends lower) and a daily shape (quiet at night, busiest mid-day) in
each queue's main time zone, and a small day-to-day wobble per queue. Which tickets
are still being worked (the backlog) depends on their age: the chance decays
exponentially, with the decay chosen so that the share asked for is active. A spike,
when asked for, adds tickets of one contact reason in one language in the last hours.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

# A queue's main time zone: that of its first language (none: UTC).
LANGUAGE_TIME_ZONES = {
    "en": "America/New_York", "es": "America/Mexico_City", "pt": "America/Sao_Paulo",
    "fr": "Europe/Paris", "de": "Europe/Berlin", "ar": "Africa/Cairo", "ja": "Asia/Tokyo",
    "ru": "Europe/Moscow",
}  # fmt: skip
# Relative volume by local hour (0–23) and by weekday (Monday first).
DAILY = (0.22, 0.16, 0.12, 0.11, 0.11, 0.15, 0.28, 0.5, 0.75, 0.92, 1.0, 1.0,
         0.96, 0.97, 1.0, 0.97, 0.9, 0.8, 0.7, 0.62, 0.56, 0.5, 0.41, 0.31)  # fmt: skip
WEEKLY = (1.08, 1.05, 1.0, 1.0, 0.95, 0.6, 0.52)
GROWTH_PER_YEAR = 0.3  # volume grows by this share over a year
DAY_WOBBLE = 0.08  # log-normal sigma of one queue's volume on one day
HOUR = 3600.0


@dataclass(frozen=True)
class SpikeSpec:
    """A surge of one contact reason (category) in one language over the last ``hours``
    whole clock hours and the current one: ``multiplier`` times the usual count of that
    hour, and at least ``min_per_hour`` tickets an hour (a spike detector ignores small
    counts, and a small demo's usual rate is well under one ticket an hour)."""

    category: str = "account"
    language: str = "es"
    hours: int = 2
    multiplier: float = 3.5
    min_per_hour: int = 24


DEMO_SPIKE = SpikeSpec()


def queue_time_zone(languages: list[str]) -> str:
    return LANGUAGE_TIME_ZONES.get(languages[0], "UTC") if languages else "UTC"


@dataclass(slots=True)
class Arrival:
    at: datetime
    queue: int  # index into the queues given
    spike: bool = False


class ArrivalModel:
    """Hourly intensities per queue over ``days`` days ending ``now``."""

    def __init__(self, rng: random.Random, time_zones: list[str], *, days: int,
                 now: datetime) -> None:  # fmt: skip
        self.now = now
        self.hours = days * 24
        self.start = now - timedelta(hours=self.hours)
        self.queues = len(time_zones)
        zones = [ZoneInfo(tz) for tz in time_zones]
        wobble: dict[tuple[int, object], float] = {}
        # weights[h * queues + q]: queue q in hour h
        self.weights: list[float] = []
        for h in range(self.hours):
            middle = self.start + timedelta(hours=h + 0.5)
            trend = 1 + GROWTH_PER_YEAR * (h - self.hours) / (365 * 24)
            for q, zone in enumerate(zones):
                local = middle.astimezone(zone)
                day = wobble.setdefault((q, local.date()), rng.lognormvariate(0, DAY_WOBBLE))
                self.weights.append(trend * WEEKLY[local.weekday()] * DAILY[local.hour] * day)
        self.total = sum(self.weights)

    def draw(self, rng: random.Random, count: int) -> list[Arrival]:
        cumulative = list(accumulate(self.weights))
        bins = rng.choices(range(len(self.weights)), cum_weights=cumulative, k=count)
        arrivals = []
        start = self.start
        for b in bins:
            h, q = divmod(b, self.queues)
            arrivals.append(Arrival(start + timedelta(seconds=(h + rng.random()) * HOUR), q))
        return arrivals

    def expected(self, count: int, begin: datetime, end: datetime,
                 queue_shares: list[float]) -> float:  # fmt: skip
        """How many of ``count`` tickets are expected to arrive from ``begin`` to ``end``
        and be of a kind that is ``queue_shares[q]`` of queue q's tickets."""
        first = max(0.0, (begin - self.start).total_seconds() / HOUR)
        last = min(float(self.hours), (end - self.start).total_seconds() / HOUR)
        total = 0.0
        h = int(first)
        while h < last:
            part = min(last, h + 1) - max(first, h)
            row = self.weights[h * self.queues : (h + 1) * self.queues]
            total += part * sum(w * s for w, s in zip(row, queue_shares, strict=True))
            h += 1
        return count * total / self.total


def spike_arrivals(rng: random.Random, spike: SpikeSpec, model: ArrivalModel, *,
                   queue_shares: list[float], base_count: int) -> list[Arrival]:  # fmt: skip
    """The spike's extra tickets, clock hour by clock hour, on top of ``base_count``
    seasonal ones. ``queue_shares[q]``: the share of queue q's tickets that are of the
    spike's category and language (the extra ones go to the queues that have some)."""
    queues = [q for q, share in enumerate(queue_shares) if share > 0] or [0]
    now = model.now
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    extra: list[Arrival] = []
    for n in range(spike.hours, -1, -1):
        begin = hour_start - timedelta(hours=n)
        end = min(begin + timedelta(hours=1), now)
        if end <= begin:
            continue
        part = (end - begin).total_seconds() / HOUR
        usual = model.expected(base_count, begin, end, queue_shares)
        wanted = max(spike.multiplier * usual, spike.min_per_hour * part)
        # Spread evenly (each in its own slice of the hour), so that any hour-long window
        # of the surge holds its rate, give or take one: a detector reading the trailing
        # hour sees the same surge whenever it looks.
        added = max(0, round(wanted - usual))
        for k in range(added):
            offset = (k + rng.uniform(0.1, 0.9)) * (end - begin).total_seconds() / added
            extra.append(Arrival(begin + timedelta(seconds=offset), rng.choice(queues), spike=True))
    return extra


def spike_size(spike: SpikeSpec, model: ArrivalModel, *, queue_shares: list[float],
               base_count: int) -> int:  # fmt: skip
    """How many tickets ``spike_arrivals`` adds (only their times are random)."""
    rng = random.Random(0)  # noqa: S311 - demo data
    return len(spike_arrivals(rng, spike, model, queue_shares=queue_shares,
                              base_count=base_count))  # fmt: skip


def backlog_decay(ages_seconds: list[float], share: float) -> float:
    """The decay (seconds) such that ``sum(exp(-age / decay))`` is ``share`` of the tickets:
    the youngest are most likely still active."""
    if share <= 0:
        return 0.0
    if share >= 1:
        return math.inf
    buckets: dict[int, int] = {}
    for age in ages_seconds:
        bucket = int(age // HOUR)
        buckets[bucket] = buckets.get(bucket, 0) + 1
    wanted = share * len(ages_seconds)
    items = [((bucket + 0.5) * HOUR, n) for bucket, n in buckets.items()]
    low, high = math.log(60.0), math.log(100 * 365 * 86400.0)
    for _step in range(60):
        middle = (low + high) / 2
        decay = math.exp(middle)
        if sum(n * math.exp(-age / decay) for age, n in items) < wanted:
            low = middle
        else:
            high = middle
    return math.exp((low + high) / 2)


def still_active(rng: random.Random, age_seconds: float, decay: float) -> bool:
    if decay == 0:
        return False
    return rng.random() < math.exp(-age_seconds / decay)
