"""Retention: policies reach closed tickets past their days, in batches under a daily
cap, leave held tickets alone, need a dry run before they are switched on, and audit
each batch."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict
from privacy import retention, services, tasks
from privacy.models import PrivacyEvent, RetentionPolicy
from tests.tickets import factories as tf
from tickets.models import Message, Requester, Ticket

pytestmark = pytest.mark.django_db


def _closed(queue, *, days_ago, requester=None, **fields):  # type: ignore[no-untyped-def]
    ticket = tf.ticket(queue, requester_=requester, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip
    return ticket


@pytest.fixture
def old_tickets(desk):
    queue = desk["queues"]["north"]
    return {**desk, "old": [_closed(queue, days_ago=400 + i) for i in range(5)],
            "young": _closed(queue, days_ago=10),
            "elsewhere": _closed(desk["queues"]["atlas"], days_ago=500),
            "open": tf.ticket(queue)}  # fmt: skip


def _policy(officer, queue, mode="delete", days=365):  # type: ignore[no-untyped-def]
    policy = RetentionPolicy(name=f"{queue.name} {mode}", queue=queue, mode=mode, days=days)
    return services.retention_policy_save(actor=officer, policy=policy)


def test_a_policy_needs_a_dry_run_before_it_is_switched_on(old_tickets, officer):
    policy = _policy(officer, old_tickets["queues"]["north"])
    with pytest.raises(Conflict):
        services.retention_switch(actor=officer, policy=policy, on=True)
    assert services.retention_dry_run(actor=officer, policy=policy) == 5
    services.retention_switch(actor=officer, policy=policy, on=True)
    # Changing it switches it off and asks for a new count.
    policy.refresh_from_db()
    policy.days = 30
    services.retention_policy_save(actor=officer, policy=policy)
    policy.refresh_from_db()
    assert not policy.is_active and policy.dry_run_count is None


def test_the_daily_run_deletes_in_batches_up_to_the_cap_oldest_first(old_tickets, officer,
                                                                        settings):  # fmt: skip
    settings.PRIVACY_RETENTION_DAILY_CAP = 4
    settings.PRIVACY_RETENTION_BATCH = 3
    policy = _policy(officer, old_tickets["queues"]["north"])
    services.retention_dry_run(actor=officer, policy=policy)
    services.retention_switch(actor=officer, policy=policy, on=True)
    assert tasks.run_retention() == {policy.name: 4}
    left = [t for t in old_tickets["old"] if Ticket.objects.filter(pk=t.pk).exists()]
    assert left == [old_tickets["old"][0]]  # the most recently closed of the five waits
    batches = PrivacyEvent.objects.filter(policy=policy, kind="retention_batch")
    assert [b.detail["counts"]["tickets"] for b in batches.order_by("pk")] == [3, 1]
    for key in ("young", "elsewhere", "open"):
        assert Ticket.objects.filter(pk=old_tickets[key].pk).exists()
    assert tasks.run_retention() == {}  # the day's cap is reached: later runs today rest
    tomorrow = timezone.now() + timedelta(days=1)
    assert retention.run(now=tomorrow) == {policy.name: 1}
    assert retention.run(now=tomorrow) == {}


def test_anonymise_keeps_the_tickets_without_their_requester(old_tickets, officer):
    person = tf.requester(email="old@example.org", name="Old Person")
    ticket = _closed(old_tickets["queues"]["atlas"], days_ago=800, requester=person)
    policy = _policy(officer, old_tickets["queues"]["atlas"], mode="anonymise")
    services.retention_dry_run(actor=officer, policy=policy)
    services.retention_switch(actor=officer, policy=policy, on=True)
    assert retention.run() == {policy.name: 2}
    ticket.refresh_from_db()
    assert ticket.requester.external_id == "erased-by-retention" and ticket.subject == "[erased]"
    assert set(Message.objects.filter(ticket=ticket).values_list("body", flat=True)) == {
        "[erased]"}  # fmt: skip
    assert not Requester.objects.filter(email="old@example.org").exists()  # nothing left of them
    assert retention.run() == {}  # anonymised tickets are not taken again


def test_held_tickets_are_left_alone(old_tickets, officer):
    held = old_tickets["old"][2]
    later = timezone.localdate() + timedelta(days=9)
    services.hold_place(actor=officer, case_number="LIT-9", owner=officer, reason="x",
                        review_on=later, ticket=held)  # fmt: skip
    policy = _policy(officer, old_tickets["queues"]["north"])
    assert services.retention_dry_run(actor=officer, policy=policy) == 4
    services.retention_switch(actor=officer, policy=policy, on=True)
    retention.run()
    assert Ticket.objects.filter(pk=held.pk).exists()


def test_the_policy_page_saves_counts_and_switches(client, old_tickets, officer):
    client.force_login(officer)
    url = reverse("privacy:retention")
    response = client.post(url, {"action": "save", "name": "Nothing", "mode": "delete",
                                 "days": "30"})  # fmt: skip
    assert response.status_code == 400
    assert "Say which queue, category or channel" in response.content.decode()
    response = client.post(url, {"action": "save", "name": "Old Northwind", "mode": "delete",
                                 "days": "365",
                                 "queue": old_tickets["queues"]["north"].pk})  # fmt: skip
    policy = RetentionPolicy.objects.get(name="Old Northwind")
    page_url = reverse("privacy:retention_policy", args=[policy.pk])
    assert response["Location"] == page_url
    assert client.post(page_url, {"action": "on"}).status_code == 400
    client.post(page_url, {"action": "dry_run"})
    assert "would reach 5 tickets" in client.get(page_url).content.decode()
    client.post(page_url, {"action": "on"})
    policy.refresh_from_db()
    assert policy.is_active


def test_a_run_stops_after_its_time_and_the_next_run_goes_on(old_tickets, officer, settings):
    settings.PRIVACY_RETENTION_BATCH = 2
    policy = _policy(officer, old_tickets["queues"]["north"])
    services.retention_dry_run(actor=officer, policy=policy)
    services.retention_switch(actor=officer, policy=policy, on=True)
    assert retention.run(seconds=0) == {policy.name: 2}  # one batch, then its time is up
    assert retention.run(seconds=0) == {policy.name: 2}
    assert retention.run() == {policy.name: 1}
