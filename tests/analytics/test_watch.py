"""Spike alerts end to end: seasonal history and a surge through the services, folded,
watched, told to the leads, and turned into an incident in one step."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from analytics import watch
from analytics.fold import fold_all
from analytics.models import SpikeAlert
from escalations.models import Incident
from tests.tickets import factories as tf
from tickets.models import Notification

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 30, 12, 0, 30, tzinfo=UTC)  # a Monday, just after a boundary


def seed_history(queue, *, category: str, language: str, per_hour: int, days: int) -> None:  # type: ignore[no-untyped-def]
    """Ten-minute counts as the fold keeps them (history of weeks is not written ticket by
    ticket: the counts table is what the watch reads)."""
    rng = random.Random(1)
    start = NOW.replace(second=0) - timedelta(days=days)
    rows = []
    for step in range(days * 144):
        bucket = start + timedelta(minutes=10 * step)
        hour = bucket.hour
        rate = per_hour * (1.0 if 8 <= hour < 20 else 0.4) / 6
        n = sum(rng.random() < rate / 4 for _k in range(4))  # about rate, Poisson-like
        if n:
            rows += [("reason", f"{category}/{language}", bucket, n),
                     ("queue", str(queue.pk), bucket, n)]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO analytics_spikecount (dim, value, bucket, n) VALUES (%s, %s, %s, %s)",
            rows,
        )


@pytest.fixture
def surge(desk):
    queue = desk["queues"]["inhouse"]
    seed_history(queue, category="account", language="es", per_hour=12, days=28)
    # The surge: 60 Spanish account tickets in the last hour, through the services.
    for minute in range(60):
        with time_machine.travel(NOW - timedelta(minutes=60 - minute, seconds=20), tick=False):
            tf.ticket(queue, language="es", category="account", subject="Hackeada")
    fold_all()
    return {**desk, "queue": queue}


def test_a_surge_in_one_reason_and_language_alerts_once_and_tells_the_leads(surge):
    with time_machine.travel(NOW, tick=False):
        alerts = watch.evaluate()
    reasons = [a for a in alerts if a.dim == "reason"]
    assert [a.value for a in reasons] == ["account/es"]
    assert reasons[0].count >= 60 and reasons[0].expected < 20  # with the usual few
    told = set(Notification.objects.filter(kind="spike_alert").values_list("recipient", flat=True))
    assert told == {"admin@example.com", "inhouse.lead@example.com"}  # not vendor leads
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert watch.evaluate() == []  # cooling down


def test_one_click_opens_an_incident_with_the_surges_tickets(surge, client):
    with time_machine.travel(NOW, tick=False):
        alert = next(a for a in watch.evaluate() if a.dim == "reason")
    client.force_login(surge["people"]["inhouse_lead"])
    page = client.get(reverse("analytics:alert", args=[alert.pk]))
    assert page.status_code == 200 and "60" in page.content.decode()
    response = client.post(reverse("analytics:alert_incident", args=[alert.pk]), {"severity": 3})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{incident.pk}/")
    assert incident.links.count() == 60
    alert.refresh_from_db()
    assert alert.state == SpikeAlert.State.INCIDENT and alert.incident == incident
    again = client.post(reverse("analytics:alert_incident", args=[alert.pk]), {"severity": 3})
    assert again.status_code == 400 and Incident.objects.count() == 1


def test_alerts_are_scoped_and_dismissing_needs_a_reason(surge, client):
    with time_machine.travel(NOW, tick=False):
        alert = next(a for a in watch.evaluate() if a.dim == "reason")
    for person in ("north_lead", "inhouse_agent"):
        client.force_login(surge["people"][person])
        assert client.get(reverse("analytics:alert", args=[alert.pk])).status_code == 404
        assert client.post(reverse("analytics:alert_dismiss", args=[alert.pk]),
                           {"note": "x"}).status_code == 404  # fmt: skip
    client.force_login(surge["people"]["inhouse_lead"])
    refused = client.post(reverse("analytics:alert_dismiss", args=[alert.pk]), {"note": " "})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    client.post(reverse("analytics:alert_dismiss", args=[alert.pk]), {"note": "Campaign email"})
    alert.refresh_from_db()
    assert alert.state == SpikeAlert.State.DISMISSED and alert.note == "Campaign email"
    listed = client.get(reverse("analytics:alerts")).content.decode()
    assert "account in es" in listed


def test_a_series_without_two_weeks_of_history_never_alerts(desk):
    queue = desk["queues"]["inhouse"]
    seed_history(queue, category="billing", language="en", per_hour=12, days=5)
    for minute in range(60):
        with time_machine.travel(NOW - timedelta(minutes=60 - minute, seconds=20), tick=False):
            tf.ticket(queue, language="en", category="billing")
    fold_all()
    with time_machine.travel(NOW, tick=False):
        assert watch.evaluate() == []
