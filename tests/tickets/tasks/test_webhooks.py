"""Vendor webhooks: where they may go, how they are signed, delivery and retries."""

import json
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AccountEvent
from tests.support.webhook_receiver import Receiver
from tickets import outbox
from tickets.models import Notification, NotificationAttempt
from tickets.outbox import webhooks

State = Notification.State


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/x",          # not https
    "https://127.0.0.1/x", "https://10.1.2.3/x", "https://192.168.0.5/x",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://localhost/x",
    "https://0.0.0.0/x", "https://user:pw@93.184.216.34/x", "not a url", "https:///nohost",
])  # fmt: skip
def test_private_plain_or_odd_urls_are_refused(url):
    with pytest.raises(ValidationError):
        webhooks.validate_webhook_url(url)


def test_a_public_address_is_accepted():
    webhooks.validate_webhook_url("https://93.184.216.34/hooks")


def test_the_allow_list_admits_a_local_receiver(settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    webhooks.validate_webhook_url("http://127.0.0.1:8080/hooks")
    with pytest.raises(ValidationError):
        webhooks.validate_webhook_url("http://10.0.0.1/hooks")


def test_signatures_verify_and_tampering_or_age_fails():
    body = b'{"event":"sla.breach"}'
    now = int(time.time())
    header = webhooks.signature_header(secret="s3cret", timestamp=now, body=body)
    assert webhooks.verify(header, body, "s3cret")
    assert not webhooks.verify(header, body + b" ", "s3cret")
    assert not webhooks.verify(header, body, "other")
    old = webhooks.signature_header(secret="s3cret", timestamp=now - 600, body=body)
    assert not webhooks.verify(old, body, "s3cret")


@pytest.mark.django_db
def test_rotation_signs_with_both_secrets_during_the_grace_period(org, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    vendor = org["vendors"]["north"]
    admin = org["people"]["admin"]
    vendor = account_services.vendor_webhook_set(actor=admin, vendor=vendor,
                                                 url="http://127.0.0.1:9/hooks")  # fmt: skip
    first = vendor.webhook_secret
    assert first.startswith("whsec_")
    second = account_services.vendor_webhook_secret_rotate(actor=admin, vendor=vendor)
    vendor.refresh_from_db()
    body, now = b"{}", int(time.time())
    header = webhooks.signature_header(
        secret=vendor.webhook_secret, previous_secret=vendor.webhook_previous_secret,
        rotated_at=vendor.webhook_secret_rotated_at, timestamp=now, body=body,
    )  # fmt: skip
    assert webhooks.verify(header, body, first) and webhooks.verify(header, body, second)
    later = webhooks.signature_header(
        secret=vendor.webhook_secret, previous_secret=vendor.webhook_previous_secret,
        rotated_at=vendor.webhook_secret_rotated_at, timestamp=now, body=body,
        now=timezone.now() + timedelta(hours=25),
    )  # fmt: skip
    assert not webhooks.verify(later, body, first) and webhooks.verify(later, body, second)
    actions = set(AccountEvent.objects.filter(target_id=vendor.pk).values_list("action", flat=True))
    assert {"webhook_changed", "webhook_secret_rotated"} <= actions
    assert second not in json.dumps(list(AccountEvent.objects.values("before", "after")))


@pytest.mark.django_db
def test_a_private_url_is_refused_by_the_service(org):
    with pytest.raises(account_services.AccountError, match="not a public address"):
        account_services.vendor_webhook_set(actor=None, vendor=org["vendors"]["north"],
                                            url="https://10.0.0.8/hooks")  # fmt: skip


def _webhook(vendor, key="k1"):  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        kind="sla_breach", channel=Notification.Channel.WEBHOOK, recipient=vendor.webhook_url,
        vendor=vendor, idempotency_key=key, payload={"event": "sla.breach", "ticket": {}},
    )  # fmt: skip


@pytest.mark.django_db
def test_delivery_is_signed_keyed_and_retried_on_errors(org, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    vendor = org["vendors"]["north"]
    with Receiver(secret="") as receiver:
        vendor = account_services.vendor_webhook_set(actor=None, vendor=vendor,
                                                     url=receiver.url)  # fmt: skip
        receiver.secret = vendor.webhook_secret
        receiver.fail_next = 1
        notification = _webhook(vendor)
        assert outbox.notification_deliver(notification.pk) == State.FAILED
        failed = NotificationAttempt.objects.get(notification=notification)
        assert failed.status_code == 503 and not failed.ok
        Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
        assert outbox.notification_deliver(notification.pk) == State.SENT
    assert list(receiver.acted) == ["k1"] and receiver.rejected == 0
    headers = receiver.headers[0]
    assert headers["X-Helpdesk-Event"] == "sla.breach"
    assert json.loads(receiver.acted["k1"])["idempotency_key"] == "k1"
    ok = NotificationAttempt.objects.filter(notification=notification, ok=True).get()
    assert ok.status_code == 200


@pytest.mark.django_db
def test_a_vendor_without_endpoint_fails_visibly(org):
    vendor = org["vendors"]["atlas"]
    notification = _webhook(vendor, key="k2")
    assert outbox.notification_deliver(notification.pk) == State.FAILED
    notification.refresh_from_db()
    assert "no active webhook endpoint" in notification.last_error
