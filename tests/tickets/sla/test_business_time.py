"""Due times on business calendars, worked out by hand."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.sla.business_time import NoBusinessTime, Schedule

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_18 = {day: ((time(9), time(18)),) for day in range(5)}
HOUR = 3600


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def office(tz: str = "America/New_York", **kwargs) -> Schedule:
    return Schedule(time_zone=tz, always_open=False, hours=WEEKDAYS_9_TO_18, **kwargs)


def test_always_open_adds_plain_time():
    start = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    assert Schedule().add(start, 4 * HOUR) == start + timedelta(hours=4)
    assert Schedule().between(start, start + timedelta(hours=30)) == 30 * HOUR


def test_friday_afternoon_target_lands_on_monday():
    # The issue's own example: 4 hours at 17:00 Friday on Mon–Fri 9–18 → Monday 12:00.
    due = office().add(at(NY, 2026, 11, 20, 17, 0), 4 * HOUR)
    assert due == at(NY, 2026, 11, 23, 12, 0)


def test_start_outside_hours_waits_for_opening():
    assert office().add(at(NY, 2026, 11, 21, 10, 0), HOUR) == at(NY, 2026, 11, 23, 10, 0)
    assert office().add(at(NY, 2026, 11, 19, 6, 30), 30 * 60) == at(NY, 2026, 11, 19, 9, 30)
    assert office().add(at(NY, 2026, 11, 19, 19, 0), 60) == at(NY, 2026, 11, 20, 9, 1)


def test_target_ending_exactly_at_closing_stays_that_day():
    assert office().add(at(NY, 2026, 11, 19, 9, 0), 9 * HOUR) == at(NY, 2026, 11, 19, 18, 0)


def test_public_holidays_are_skipped():
    # Thanksgiving, Thursday 26 November 2026, is a US public holiday.
    schedule = office(holiday_country="US")
    assert schedule.is_holiday(date(2026, 11, 26))
    due = schedule.add(at(NY, 2026, 11, 25, 16, 0), 4 * HOUR)
    assert due == at(NY, 2026, 11, 27, 11, 0)


def test_custom_closed_dates_are_skipped():
    schedule = office(closed_dates=frozenset({date(2026, 11, 23)}))
    assert schedule.add(at(NY, 2026, 11, 20, 17, 0), 4 * HOUR) == at(NY, 2026, 11, 24, 12, 0)


def test_subdivision_holidays():
    # Reformation Day (31 October) is a holiday in Saxony but not in Berlin.
    saxony = office("Europe/Berlin", holiday_country="DE", holiday_subdivision="SN")
    berlin = office("Europe/Berlin", holiday_country="DE", holiday_subdivision="BE")
    assert saxony.is_holiday(date(2025, 10, 31))
    assert not berlin.is_holiday(date(2025, 10, 31))


def test_spring_forward_weekend_keeps_local_opening_hours():
    # US clocks jump on Sunday 8 March 2026. Friday 17:00 EST + 2h → Monday 10:00 EDT,
    # which is 14:00 UTC (not 15:00 as a fixed offset would give).
    due = office().add(at(NY, 2026, 3, 6, 17, 0), 2 * HOUR)
    assert due == at(NY, 2026, 3, 9, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_fall_back_night_on_a_24_hour_local_calendar():
    # On a local-midnight-to-midnight calendar, Sunday 1 November 2026 in New York is
    # 25 real hours long: a 24-hour target from Sunday 00:00 ends at 23:00 local.
    all_day = Schedule(time_zone="America/New_York", always_open=False,
                       hours={6: ((time(0), None),)})  # fmt: skip
    assert all_day.add(at(NY, 2026, 11, 1, 0, 0), 24 * HOUR) == at(NY, 2026, 11, 1, 23, 0)
    assert all_day.between(at(NY, 2026, 11, 1, 0, 0), at(NY, 2026, 11, 2, 0, 0)) == 25 * HOUR


def test_opening_inside_a_spring_forward_gap_starts_after_the_gap():
    # Berlin jumps from 02:00 to 03:00 on Sunday 29 March 2026; a shift "opening" at
    # 02:30 opens at 03:00 CEST (01:00 UTC).
    night = Schedule(time_zone="Europe/Berlin", always_open=False,
                     hours={6: ((time(2, 30), time(6, 0)),)})  # fmt: skip
    due = night.add(at(BERLIN, 2026, 3, 28, 12, 0), 60)
    assert due == datetime(2026, 3, 29, 1, 1, tzinfo=UTC)


def test_split_shifts_and_between():
    lunch_break = Schedule(time_zone="UTC", always_open=False,
                           hours={0: ((time(9), time(12)), (time(13), time(17)))})  # fmt: skip
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert lunch_break.add(monday.replace(hour=11), 2 * HOUR) == monday.replace(hour=14)
    assert lunch_break.between(monday.replace(hour=11), monday.replace(hour=14)) == 2 * HOUR
    assert lunch_break.between(monday.replace(hour=14), monday.replace(hour=11)) == 0


def test_between_and_add_agree():
    schedule = office(holiday_country="US")
    start = at(NY, 2026, 11, 20, 15, 17)
    for seconds in (60, 2 * HOUR, 9 * HOUR, 30 * HOUR, 100 * HOUR):
        due = schedule.add(start, seconds)
        assert schedule.between(start, due) == pytest.approx(seconds)


def test_a_calendar_that_never_opens_is_refused():
    with pytest.raises(NoBusinessTime):
        Schedule(time_zone="UTC", always_open=False, hours={}).add(datetime.now(UTC), 60)
