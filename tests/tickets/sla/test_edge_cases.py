"""SLA edge cases found in review: a breach stays a breach while paused, time used carries
over between calendars, business time across DST in any zone, zero-minute targets outside
hours, and night shifts that cross midnight."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.tickets import factories as tf
from tickets import services
from tickets.models import BusinessHours, SLAClock, Status
from tickets.sla.business_time import Schedule

T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600


def live(ticket, metric: str) -> SLAClock:
    return SLAClock.objects.get(ticket=ticket, metric=metric, state__in=["running", "paused"])


# ------------------------------------------------- 10: a breach stays visible when paused


@pytest.mark.django_db
def test_a_breached_clock_that_is_paused_still_shows_as_a_breach(desk, client):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue])  # first reply 60 min, 24/7
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue, subject="Breached then paused")
    with time_machine.travel(T0 + timedelta(minutes=75), tick=False):
        services.sla_sweep()
        services.ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING)
    ticket.refresh_from_db()
    assert ticket.sla_paused and ticket.sla_breached and ticket.sla_due_at is None
    client.force_login(agent)
    with time_machine.travel(T0 + timedelta(minutes=80), tick=False):
        queue_html = client.get(reverse("tickets:queue") + "?view=all").content.decode()
        page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    row = queue_html[queue_html.index("Breached then paused") - 600 :]
    assert "Overdue, paused" in queue_html and "text-bg-danger" in row[:700]
    # The header badge and the SLA panel say the same.
    header = page[page.index('data-testid="ticket-status"') : page.index('id="presence"')]
    assert "text-bg-danger" in header and "Overdue, paused" in header
    assert "Paused, 15m overdue" in page and "&lt; 1 m left" not in page and "<1m left" not in page


@pytest.mark.django_db
def test_a_clock_paused_after_its_due_time_but_before_the_sweep_is_a_breach(desk):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue])
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        services.ticket_change_status(actor=None, ticket=ticket, status=Status.ON_HOLD)
    ticket.refresh_from_db()
    assert ticket.sla_paused and ticket.sla_breached


@pytest.mark.django_db
def test_a_paused_ticket_within_its_targets_is_not_a_breach(desk):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue])
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        services.ticket_change_status(actor=None, ticket=ticket, status=Status.PENDING)
    ticket.refresh_from_db()
    assert ticket.sla_paused and not ticket.sla_breached


@pytest.mark.django_db
def test_the_header_badge_turns_amber_at_the_policys_warning_point_like_the_queue(desk, client):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue], warn_at_percent=50)  # warn 30 min before a 60 min target
    agent = desk["people"]["inhouse_agent"]
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    client.force_login(agent)
    with time_machine.travel(T0 + timedelta(minutes=35), tick=False):
        page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    badge = page[page.index('data-testid="sla-badge"') - 60 : page.index('data-testid="sla-badge"')]
    assert "text-bg-warning" in badge


# ------------------------------------------- 11: time used carries over between calendars


@pytest.fixture
def two_calendars(desk):
    """The in-house queue on a 24/7 policy, the Northwind queue on office hours (New York)."""
    always = desk["queues"]["inhouse"]
    office = desk["queues"]["north"]
    tf.sla_policy(name="24/7", queues=[always], targets={p: (240, 240, 2400) for p in (1, 2, 3, 4)})
    tf.sla_policy(name="Office", queues=[office],
                  calendar_=tf.calendar(time_zone="America/New_York", office_hours=True),
                  targets={p: (240, 240, 2400) for p in (1, 2, 3, 4)})  # fmt: skip
    return always, office


@pytest.mark.django_db
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_business_time_used_carries_over_to_another_calendar(desk, two_calendars, paused):
    always, office = two_calendars
    admin = desk["people"]["admin"]
    # Wednesday 02:00 New York (07:00 UTC): 3 hours used on the 24/7 calendar by 05:00.
    start = datetime(2026, 11, 18, 2, 0, tzinfo=NY)
    with time_machine.travel(start, tick=False):
        ticket = tf.ticket(always)
    moved_at = start + timedelta(hours=3)
    if paused:
        with time_machine.travel(moved_at - timedelta(seconds=1), tick=False):
            services.ticket_change_status(actor=admin, ticket=ticket, status=Status.PENDING)
    with time_machine.travel(moved_at, tick=False):
        services.ticket_move_queue(actor=admin, ticket=ticket, queue=office)
    if paused:
        with time_machine.travel(moved_at + timedelta(minutes=1), tick=False):
            services.ticket_change_status(actor=admin, ticket=ticket, status=Status.OPEN)
    first = live(ticket, "first_reply")
    used = 3 * HOUR - (1 if paused else 0)  # paused a second before the move
    assert first.used_seconds == pytest.approx(used)
    # The hour left is counted on office hours from 09:00: due 10:00 New York (and the
    # second the paused clock did not use).
    assert first.due_at == datetime(2026, 11, 18, 10, 0, tzinfo=NY) + timedelta(
        seconds=3 * HOUR - used)  # fmt: skip


# ------------------------------------------------- 12: business time in any time zone


@pytest.mark.parametrize("zone", [NY, BERLIN, ZoneInfo("Australia/Sydney"), UTC])
def test_elapsed_time_on_a_24_7_calendar_is_real_time_for_any_aware_input(zone):
    schedule = Schedule()
    # Across the autumn change in each hemisphere's zone (and a plain day in UTC).
    for start_utc in (datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
                      datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
                      datetime(2026, 4, 4, 14, 0, tzinfo=UTC)):  # fmt: skip
        end_utc = start_utc + timedelta(hours=5)
        start, end = start_utc.astimezone(zone), end_utc.astimezone(zone)
        assert schedule.between(start, end) == 5 * HOUR
        assert schedule.add(start, 5 * HOUR) == end_utc


def test_local_times_across_a_dst_change_measure_the_real_hours():
    # 00:00 to 04:00 local on the night New York falls back is five real hours.
    start = datetime(2026, 11, 1, 0, 0, tzinfo=NY)
    end = datetime(2026, 11, 1, 4, 0, tzinfo=NY)
    assert Schedule().between(start, end) == 5 * HOUR
    # And 00:00 to 04:00 on the night Berlin springs forward is three.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)
    assert Schedule().between(start, end) == 3 * HOUR


def test_office_hours_between_accepts_local_inputs():
    schedule = Schedule(time_zone="America/New_York", always_open=False,
                        hours={d: ((time(9), time(18)),) for d in range(5)})  # fmt: skip
    start = datetime(2026, 11, 19, 8, 0, tzinfo=NY)
    end = datetime(2026, 11, 19, 10, 30, tzinfo=BERLIN)  # 04:30 in New York: before opening
    assert schedule.between(start, end) == 0
    assert schedule.between(start, datetime(2026, 11, 19, 17, 0, tzinfo=BERLIN)) == 2 * HOUR


# --------------------------------------- 13: a zero-minute target outside business hours


def office_ny() -> Schedule:
    return Schedule(time_zone="America/New_York", always_open=False,
                    hours={d: ((time(9), time(18)),) for d in range(5)})  # fmt: skip


def test_zero_seconds_from_a_closed_moment_is_the_next_opening():
    saturday_night = datetime(2026, 11, 21, 23, 0, tzinfo=NY)
    assert office_ny().add(saturday_night, 0) == datetime(2026, 11, 23, 9, 0, tzinfo=NY)
    during = datetime(2026, 11, 23, 11, 0, tzinfo=NY)
    assert office_ny().add(during, 0) == during


@pytest.mark.django_db
def test_a_zero_minute_target_starting_outside_hours_is_due_at_the_next_opening(desk):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue], calendar_=tf.calendar(time_zone="America/New_York",
                                                        office_hours=True),
                  targets={p: (0, 60, 480) for p in (1, 2, 3, 4)})  # fmt: skip
    with time_machine.travel(datetime(2026, 11, 21, 23, 0, tzinfo=NY), tick=False):
        ticket = tf.ticket(queue)
    first = live(ticket, "first_reply")
    opening = datetime(2026, 11, 23, 9, 0, tzinfo=NY)
    assert first.due_at == opening
    assert first.warn_at <= first.due_at


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, 1, 2, 3, 60])
def test_a_warning_never_comes_after_its_due_time(desk, minutes):
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue], warn_at_percent=99,
                  targets={p: (minutes, None, None) for p in (1, 2, 3, 4)})  # fmt: skip
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    first = live(ticket, "first_reply")
    assert first.warn_at <= first.due_at


# ------------------------------------------------ 14: night shifts across midnight


def three_shifts(tz: str = "Asia/Manila") -> Schedule:
    shifts = ((time(6), time(14)), (time(14), time(22)), (time(22), time(6)))
    return Schedule(time_zone=tz, always_open=False, hours={d: shifts for d in range(7)})


def test_a_calendar_of_three_shifts_is_open_around_the_clock():
    schedule = three_shifts()
    start = datetime(2026, 11, 18, 23, 30, tzinfo=ZoneInfo("Asia/Manila"))
    assert schedule.between(start, start + timedelta(hours=30)) == 30 * HOUR
    assert schedule.add(start, 10 * HOUR) == start + timedelta(hours=10)


def test_a_night_shift_crosses_midnight():
    manila = ZoneInfo("Asia/Manila")
    nights = Schedule(
        time_zone="Asia/Manila",
        always_open=False,
        hours={d: ((time(22), time(6)),) for d in range(5)},
    )  # Mon–Fri nights
    # Friday 23:00 + 4 h = Saturday 03:00 (the Friday night shift runs into Saturday).
    assert nights.add(datetime(2026, 11, 20, 23, 0, tzinfo=manila), 4 * HOUR) == datetime(
        2026, 11, 21, 3, 0, tzinfo=manila)  # fmt: skip
    # Saturday 07:00 + 1 h: no shift until Monday 22:00.
    assert nights.add(datetime(2026, 11, 21, 7, 0, tzinfo=manila), HOUR) == datetime(
        2026, 11, 23, 23, 0, tzinfo=manila)  # fmt: skip
    # Thursday 20:00 to Friday 08:00: the whole Thursday night shift, 8 hours.
    assert nights.between(datetime(2026, 11, 19, 20, 0, tzinfo=manila),
                          datetime(2026, 11, 20, 8, 0, tzinfo=manila)) == 8 * HOUR  # fmt: skip


def test_overlapping_shifts_count_once():
    overlapping = Schedule(time_zone="UTC", always_open=False,
                           hours={d: ((time(8), time(16)), (time(12), time(20)))
                                  for d in range(7)})  # fmt: skip
    day = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    assert overlapping.between(day, day + timedelta(days=1)) == 12 * HOUR


@pytest.mark.django_db
def test_a_night_shift_calendar_saved_in_the_database_opens(desk):
    cal = tf.calendar(time_zone="Asia/Manila")
    cal.always_open = False
    cal.save()
    for day in range(7):
        for opens, closes in ((time(6), time(14)), (time(14), time(22)), (time(22), time(6))):
            BusinessHours.objects.create(calendar=cal, weekday=day, opens=opens, closes=closes)
    queue = desk["queues"]["inhouse"]
    tf.sla_policy(queues=[queue], calendar_=cal)
    with time_machine.travel(datetime(2026, 11, 18, 23, 0, tzinfo=ZoneInfo("Asia/Manila")),
                             tick=False):  # fmt: skip
        ticket = tf.ticket(queue)
    first = live(ticket, "first_reply")
    assert first.due_at == datetime(2026, 11, 19, 0, 0, tzinfo=ZoneInfo("Asia/Manila"))
