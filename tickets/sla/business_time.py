"""Business time: adding a target to a moment, and measuring time spent, on a calendar.

A ``Schedule`` is a plain, cached view of a ``BusinessCalendar``: its open periods
per weekday in the calendar's own time zone, less public holidays (``holidays``
package) and custom closed dates. Every result is an aware UTC datetime.

Open periods are laid out in local wall-clock time and converted to UTC day by day,
so an 09:00–18:00 day stays 09:00–18:00 across a DST change (that day is simply
as long as the clock says). A period starting inside a spring-forward gap begins at
the first real instant after it. A period whose closing time is earlier than its
opening time (a night shift, 22:00–06:00) runs past midnight into the next day; it
belongs to the day it opens (a holiday on that day closes it). Overlapping periods
(two shifts, or a night shift and the next morning's) count once.

Inputs may be in any time zone: they are compared and subtracted as instants (UTC),
never as wall-clock times of their own zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from tickets.models import BusinessCalendar

# A calendar with no open time at all would make "add 4 hours" loop forever.
MAX_SEARCH_DAYS = 3 * 366


class NoBusinessTime(ValueError):
    """The calendar never opens (within three years of the start)."""


@dataclass
class Schedule:
    time_zone: str = "UTC"
    always_open: bool = True
    # weekday (Monday 0) -> ((opens, closes), ...); closes None means midnight, and a
    # closes earlier than opens means that time on the next day (a night shift).
    hours: dict[int, tuple[tuple[time, time | None], ...]] = field(default_factory=dict)
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closed_dates: frozenset[date] = frozenset()
    _tz: ZoneInfo = field(init=False, repr=False)
    _holidays: dict[int, set[date]] = field(init=False, repr=False, default_factory=dict)
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._tz = ZoneInfo(self.time_zone)

    @classmethod
    def for_calendar(cls, calendar: BusinessCalendar) -> Schedule:
        hours: dict[int, list[tuple[time, time | None]]] = {}
        for period in calendar.hours.all():
            closes = None if period.closes == time(0) else period.closes
            hours.setdefault(period.weekday, []).append((period.opens, closes))
        return cls(
            time_zone=calendar.time_zone,
            always_open=calendar.always_open,
            hours={day: tuple(sorted(periods)) for day, periods in hours.items()},
            holiday_country=calendar.holiday_country,
            holiday_subdivision=calendar.holiday_subdivision,
            closed_dates=frozenset(h.date for h in calendar.custom_holidays.all()),
        )

    # ------------------------------------------------------------ days

    def is_holiday(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        if not self.holiday_country:
            return False
        if day.year not in self._holidays:
            found = holidays.country_holidays(
                self.holiday_country, subdiv=self.holiday_subdivision or None, years=day.year
            )
            self._holidays[day.year] = set(found.keys())
        return day in self._holidays[day.year]

    def _local(self, day: date, moment: time | None) -> datetime:
        if moment is None:  # midnight at the end of the day
            day, moment = day + timedelta(days=1), time(0)
        wall = datetime.combine(day, moment)
        for _minute in range(24 * 60):
            as_utc = wall.replace(tzinfo=self._tz).astimezone(UTC)
            if as_utc.astimezone(self._tz).replace(tzinfo=None) == wall:
                return as_utc
            # In a spring-forward gap: this wall time never happens. The first one that
            # does (the end of the gap) is where the period starts.
            wall += timedelta(minutes=1)
        raise AssertionError("a time-zone gap longer than a day")

    def open_periods(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's open periods as UTC (start, end) pairs, in order."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        periods: tuple[tuple[datetime, datetime], ...] = ()
        if not self.is_holiday(day):
            periods = tuple(
                (start, end)
                for start, end in (
                    (self._local(day, opens), self._local(self._closing_day(day, opens, closes),
                                                          closes))
                    for opens, closes in self.hours.get(day.weekday(), ())
                )
                if end > start
            )  # fmt: skip
        if len(self._days) > 20_000:
            self._days.clear()
        self._days[day] = periods
        return periods

    @staticmethod
    def _closing_day(day: date, opens: time, closes: time | None) -> date:
        """The day a period closes on: the next day for a night shift (22:00–06:00)."""
        return day + timedelta(days=1) if closes is not None and closes <= opens else day

    def _periods_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open periods that end after ``start``, clipped to begin no earlier than it and
        no earlier than the previous one ended (overlapping shifts count once)."""
        day = start.astimezone(self._tz).date() - timedelta(days=1)  # a period may cross midnight
        covered = start
        for _ in range(MAX_SEARCH_DAYS):
            for opens, closes in self.open_periods(day):
                if closes > covered:
                    yield max(opens, covered), closes
                    covered = closes
            day += timedelta(days=1)
        raise NoBusinessTime(f"no business hours within {MAX_SEARCH_DAYS} days of {start}")

    # ---------------------------------------------------------- arithmetic

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of business time after ``start``. Zero seconds from a
        closed moment is the next opening (a zero-minute target is due when the desk
        opens, not in the middle of the night)."""
        start = start.astimezone(UTC)
        if self.always_open:
            return start + timedelta(seconds=seconds)
        remaining = max(seconds, 0)
        for opens, closes in self._periods_from(start):
            available = (closes - opens).total_seconds()
            if remaining <= available:
                return opens + timedelta(seconds=remaining)
            remaining -= available
        raise AssertionError("unreachable: _periods_from raises when it runs out")

    def between(self, start: datetime, end: datetime) -> float:
        """Seconds of business time from ``start`` to ``end`` (0 if end is earlier)."""
        # As instants: two datetimes of the same zone subtract as wall-clock times in
        # Python, which is an hour off across a DST change.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        spent = 0.0
        try:
            for opens, closes in self._periods_from(start.astimezone(UTC)):
                if opens >= end:
                    break
                spent += (min(closes, end) - opens).total_seconds()
        except NoBusinessTime:
            pass  # no open time after start at all: what was counted is all there is
        return spent
