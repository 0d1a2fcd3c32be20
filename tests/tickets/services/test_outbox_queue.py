"""Writing to the outbox through its one API: rendered mail, a key derived one way, one
INSERT for many rows, and a hand-over to the worker only after commit."""

import hashlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.tickets import factories as tf
from tickets import outbox, services
from tickets.intake.help_center import ticket_acknowledge
from tickets.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed_over(monkeypatch):  # type: ignore[no-untyped-def]
    """The wake-ups of a delivery worker, one entry each (no worker is woken)."""
    woken: list[str] = []
    monkeypatch.setattr(outbox, "wake_delivery", lambda: woken.append("woken"))
    return woken


def _notification_inserts(queries: CaptureQueriesContext) -> int:
    return sum(
        q["sql"].startswith('INSERT INTO "tickets_notification"') for q in queries.captured_queries
    )


def test_the_key_is_a_hash_of_the_kind_and_the_parts_the_caller_names():
    key = outbox.idempotency_key("sla_breach", 7, "user", 3)
    assert key == hashlib.sha256(b"sla_breach:7:user:3").hexdigest()
    assert key == outbox.idempotency_key("sla_breach", "7", "user", "3")  # same parts, same key
    assert key != outbox.idempotency_key("sla_warning", 7, "user", 3)


def test_a_reply_and_a_receipt_keep_the_keys_receivers_already_know(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    message = services.ticket_reply(
        actor=desk["people"]["inhouse_agent"], ticket=ticket, body="We refunded you."
    )
    reply = Notification.objects.get(message=message)
    assert (
        reply.idempotency_key
        == hashlib.sha256(f"requester_reply:{message.pk}".encode()).hexdigest()
    )
    assert ticket_acknowledge(ticket, kind="email_ack")
    receipt = Notification.objects.get(kind="email_ack")
    assert receipt.idempotency_key == hashlib.sha256(f"email_ack:{ticket.pk}".encode()).hexdigest()


def test_a_batch_is_one_insert_and_one_hand_over_after_commit(
    desk, handed_over, django_capture_on_commit_callbacks
):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    people = [desk["people"]["inhouse_agent"], desk["people"]["inhouse_lead"]]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            batch = outbox.Batch()
            for person in people:
                batch.email(kind="sla_breach", key=[1, "user", person.pk], to=person.email,
                            template="reply", context={"ticket": ticket, "body": "Late."},
                            language="en", automatic="auto-generated", ticket=ticket)  # fmt: skip
            batch.webhook(kind="sla_breach", key=[1, "vendor", 9], url="https://hooks.example/x",
                          payload={"event": "sla.breach"}, ticket=ticket)  # fmt: skip
            created = batch.queue()
            assert handed_over == []  # nothing leaves before commit
    assert len(queries.captured_queries) == 1 and _notification_inserts(queries) == 1
    # One wake-up after commit for the whole batch; the woken worker claims every queued row.
    assert len(callbacks) == 1 and handed_over == ["woken"] and len(created) == 3
    rows = Notification.objects.filter(ticket=ticket, kind="sla_breach").order_by("id")
    assert [(n.channel, n.recipient) for n in rows] == [
        ("email", people[0].email), ("email", people[1].email),
        ("webhook", "https://hooks.example/x"),
    ]  # fmt: skip
    mail = rows[0]
    assert "Late." in mail.body and mail.body_html and ticket.reference in mail.subject
    assert mail.payload == {"headers": {"Auto-Submitted": "auto-generated"}}


def test_a_second_row_with_the_same_key_in_a_batch_is_dropped(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    lead = desk["people"]["inhouse_lead"]
    batch = outbox.Batch()
    mail = {"kind": "sla_breach", "key": [1, "user", lead.pk], "to": lead.email,
            "template": "reply", "context": {"ticket": ticket, "body": "Late."},
            "language": "en"}  # fmt: skip
    assert batch.email(**mail) is True
    assert batch.email(**mail) is False  # the assignee who is also the lead: one mail
    assert len(batch.queue()) == 1 and batch.queue() == []


def test_a_rolled_back_change_writes_and_hands_over_nothing(
    desk, handed_over, django_capture_on_commit_callbacks
):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.queue_webhook(
                kind="sla_breach", key=[2, "vendor", 1], url="https://hooks.example/x",
                payload={}, ticket=ticket,
            )  # fmt: skip
            raise RuntimeError("the change failed")
    assert not Notification.objects.filter(kind="sla_breach").exists() and handed_over == []


def test_a_receipt_costs_one_insert(desk, handed_over, django_assert_max_num_queries):
    ticket_acknowledge(tf.ticket(desk["queues"]["inhouse"]), kind="help_center_ack")  # warm
    ticket = tf.ticket(desk["queues"]["inhouse"])
    # The configuration version; then one statement takes the sender's lock, counts their
    # recent receipts and writes the row.
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(2):
        assert ticket_acknowledge(ticket, kind="help_center_ack")
    assert _notification_inserts(queries) == 1
