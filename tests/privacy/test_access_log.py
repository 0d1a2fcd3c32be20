"""The access log: reads recorded by the middleware and drained into the month's
partition, nothing for a refused read, partitions made ahead and old ones dropped, the
reports, and the alert when someone reads far more than usual."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from privacy import access
from privacy.models import AccessLog, PrivacyEvent
from tests import factories
from tests.tickets import factories as tf
from tickets.models import Attachment
from tickets.outbox import notification_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_queue():
    access.client().delete(access.QUEUE_KEY)
    yield
    access.client().delete(access.QUEUE_KEY)


@pytest.fixture
def ticket(desk):
    ticket = tf.ticket(desk["queues"]["north"], subject="Locked out",
                       requester_=tf.requester(email="lina@example.org"))  # fmt: skip
    attachment = Attachment(message=ticket.messages.get(), filename="a.txt",
                            content_type="text/plain", size=2)  # fmt: skip
    attachment.file.save("a", ContentFile(b"hi"), save=True)
    return ticket


def test_reads_are_logged_with_the_person_their_vendor_and_the_ticket(client, desk, ticket):
    agent = desk["people"]["north_agent"]
    client.force_login(agent)
    file = Attachment.objects.get(message__ticket=ticket)
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 200
    assert client.get(reverse("tickets:attachment", args=[file.pk])).status_code == 200
    assert client.get(reverse("tickets:search"), {"q": "locked"}).status_code == 200
    assert client.get(reverse("api-ticket", args=[ticket.reference])).status_code == 200
    # Refused or not a read: nothing.
    assert client.get(reverse("tickets:detail", args=["NOPE123"])).status_code == 404
    client.post(reverse("tickets:reply", args=[ticket.reference]), {"body": "Hi"})
    assert access.drain() == 4
    rows = list(AccessLog.objects.order_by("at", "id"))
    assert [(r.kind, r.reference) for r in rows] == [
        ("ticket_view", ticket.reference), ("attachment_download", ticket.reference),
        ("search", ""), ("api_read", ticket.reference)]  # fmt: skip
    assert {(r.user_id, r.vendor_id) for r in rows} == {(agent.pk, desk["vendors"]["north"].pk)}
    assert access.drain() == 0


def test_the_officer_sees_who_read_a_requesters_tickets(client, desk, ticket, officer):
    client.force_login(desk["people"]["north_agent"])
    client.get(reverse("tickets:detail", args=[ticket.reference]))
    access.drain()
    client.force_login(officer)
    page = client.get(reverse("privacy:subject", args=[ticket.requester_id])).content.decode()
    assert "Viewed the ticket" in page and ticket.reference in page
    page = client.get(reverse("privacy:access"),
                      {"person": desk["people"]["north_agent"].pk}).content.decode()  # fmt: skip
    assert ticket.reference in page and "Northwind" in page


def _partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                       " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
                       [access.TABLE])  # fmt: skip
        return {row[0] for row in cursor.fetchall()}


def test_partitions_are_made_ahead_and_dropped_after_the_retention(settings):
    settings.PRIVACY_ACCESS_LOG_MONTHS = 13
    later = datetime(2031, 6, 15, tzinfo=UTC)
    access.ensure_partitions(now=later, force=True)
    names = _partitions()
    assert {"privacy_accesslog_2031_05", "privacy_accesslog_2031_06",
            "privacy_accesslog_2031_08"} <= names  # fmt: skip
    # Everything before May 2030 (13 months before June 2031) is gone.
    assert not any(name < "privacy_accesslog_2030_05" for name in names)


def _views(user, count, at):  # type: ignore[no-untyped-def]
    entries = [f'[{at.timestamp()},{user.pk},null,"ticket_view","T{i}",null,"tickets:detail"]'
               for i in range(count)]  # fmt: skip
    access._insert(entries)


def test_far_more_reading_than_usual_alerts_the_admins_once(desk, settings):
    settings.PRIVACY_ACCESS_ALERT_MIN_VIEWS = 20
    settings.PRIVACY_ACCESS_ALERT_FACTOR = 5
    agent, steady = desk["people"]["north_agent"], desk["people"]["atlas_agent"]
    now = timezone.now()
    _views(agent, 30, now - timedelta(minutes=2))
    # The steady reader read 13,000 tickets over the past two weeks: about 6.4 a window,
    # so 30 now is under five times their norm.
    for day in range(1, 14):
        _views(steady, 1000, now - timedelta(days=day))
    _views(steady, 30, now - timedelta(minutes=3))
    assert access.check_for_unusual_reading(now=now) == [agent.pk]
    assert access.check_for_unusual_reading(now=now) == []  # once a window
    event = PrivacyEvent.objects.get(kind="access_alert")
    assert event.detail["user"] == agent.pk and event.detail["views"] == 30
    admin = desk["people"]["admin"]
    from tickets.models import Notification

    note = Notification.objects.get(kind="privacy_access_alert", recipient=admin.email)
    notification_deliver(note.pk)
    assert "viewed 30 tickets" in mail.outbox[-1].body


def test_a_quiet_reader_below_the_minimum_raises_nothing(desk, settings):
    settings.PRIVACY_ACCESS_ALERT_MIN_VIEWS = 100
    _views(factories.user(), 40, timezone.now() - timedelta(minutes=1))
    assert access.check_for_unusual_reading() == []
