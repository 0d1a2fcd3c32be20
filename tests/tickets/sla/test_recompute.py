"""Admins change a calendar or policy: live clocks move to the new rules."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.tickets import factories as tf
from tickets import services
from tickets.models import BusinessHours, ConfigEvent, Event, SLAClock, Status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday


def test_a_calendar_change_recomputes_due_times(desk):
    queue = desk["queues"]["inhouse"]
    calendar = tf.calendar("Ops")
    policy = tf.sla_policy(calendar_=calendar, queues=[queue])
    with time_machine.travel(T0, tick=False):
        running = tf.ticket(queue)
        paused = tf.ticket(queue)
        services.ticket_change_status(actor=None, ticket=paused, status=Status.PENDING)
    # The calendar becomes office hours 09:00–12:00 (UTC), Monday to Friday.
    calendar.always_open = False
    calendar.save()
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, opens=time(9), closes=time(12))
        for day in range(5)
    )
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.sla_config_changed(actor=None, target=calendar, action="calendar_saved")
        assert services.sla_recompute(policy_ids=[policy.pk], reason="calendar changed") == 1
    first = SLAClock.objects.get(ticket=running, metric="first_reply")
    # Started Wednesday 10:00: 60 minutes of 09–12 time → 11:00; resolution (480 min, 8 h)
    # → Wednesday 2 h, Thursday 3 h, Friday 3 h: Friday 12:00.
    assert first.due_at == T0 + timedelta(hours=1)
    resolution = SLAClock.objects.get(ticket=running, metric="resolution")
    assert resolution.due_at == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    running.refresh_from_db()
    assert running.sla_due_at == first.due_at
    event = Event.objects.get(ticket=running, kind="sla_retargeted")
    assert event.after["reason"] == "calendar changed"
    assert not Event.objects.filter(ticket=paused, kind="sla_retargeted").exists()
    assert ConfigEvent.objects.filter(action="calendar_saved", target_id=calendar.pk).exists()


def test_a_removed_target_cancels_its_clocks(desk):
    queue = desk["queues"]["inhouse"]
    policy = tf.sla_policy(queues=[queue])
    with time_machine.travel(T0, tick=False):
        ticket = tf.ticket(queue)
    policy.targets.update(first_reply_minutes=None)
    services.sla_recompute(policy_ids=[policy.pk], reason="policy changed")
    states = dict(SLAClock.objects.filter(ticket=ticket).values_list("metric", "state"))
    assert states == {"first_reply": "cancelled", "resolution": "running"}
    ticket.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(minutes=480)


def test_saving_a_calendar_in_the_admin_schedules_the_recompute(
    desk, client, django_capture_on_commit_callbacks
):
    calendar = tf.calendar("Ops")
    tf.sla_policy(calendar_=calendar)
    client.force_login(desk["people"]["admin"])
    url = reverse("admin:tickets_businesscalendar_change", args=[calendar.pk])
    form = {
        "name": "Ops", "time_zone": "Europe/Madrid", "always_open": "", "holiday_country": "es",
        "holiday_subdivision": "",
        "hours-TOTAL_FORMS": "1", "hours-INITIAL_FORMS": "0", "hours-0-weekday": "0",
        "hours-0-opens": "09:00", "hours-0-closes": "17:00",
        "custom_holidays-TOTAL_FORMS": "0", "custom_holidays-INITIAL_FORMS": "0",
    }  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, form)
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert (calendar.time_zone, calendar.holiday_country) == ("Europe/Madrid", "ES")
    assert len(callbacks) == 1  # the recompute task, handed over after commit


def test_an_unknown_holiday_country_is_shown_by_the_field(desk, client):
    client.force_login(desk["people"]["admin"])
    response = client.post(reverse("admin:tickets_businesscalendar_add"), {
        "name": "Nowhere", "time_zone": "UTC", "holiday_country": "XX",
        "hours-TOTAL_FORMS": "0", "hours-INITIAL_FORMS": "0",
        "custom_holidays-TOTAL_FORMS": "0", "custom_holidays-INITIAL_FORMS": "0",
    })  # fmt: skip
    assert response.status_code == 200
    assert "No public holidays are known for this code." in response.content.decode()
