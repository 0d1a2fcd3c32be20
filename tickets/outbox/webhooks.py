"""Outgoing webhooks to vendor partners: where they may go, how they are signed, and
one delivery attempt.

Signature: ``X-Helpdesk-Signature: t=<unix time>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 over ``"<unix time>." + body`` with the vendor's secret. During the
grace period after a rotation a second ``v1=`` carries the old secret's signature,
so a receiver that has not switched yet still verifies. Receivers should refuse a
timestamp more than five minutes old and drop a repeated
``X-Helpdesk-Idempotency-Key``.

Targets must be public: a URL whose host resolves to a private, loopback,
link-local, multicast or reserved address is refused (when it is saved and again
at each send, since DNS can change), unless the host is listed in
``WEBHOOK_ALLOWED_PRIVATE_HOSTS`` (tests, a receiver on the same machine). Plain
http is allowed only for those listed hosts. Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.webhook_targets import new_secret, validate_webhook_url

__all__ = [
    "WebhookError",
    "new_secret",
    "post",
    "sign",
    "signature_header",
    "validate_webhook_url",
    "verify",
]

USER_AGENT = "helpdesk-webhooks/1"


class WebhookError(Exception):
    """A delivery that did not succeed; the message says why (kept in the delivery log)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, previous_secret: str = "",
                     rotated_at: datetime | None = None, timestamp: int, body: bytes,
                     now: datetime | None = None) -> str:  # fmt: skip
    parts = [f"t={timestamp}", f"v1={sign(secret, timestamp, body)}"]
    grace = timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    if previous_secret and rotated_at and (now or timezone.now()) - rotated_at < grace:
        parts.append(f"v1={sign(previous_secret, timestamp, body)}")
    return ",".join(parts)


def verify(header: str, body: bytes, secret: str, *, tolerance: int = 300,
           now: float | None = None) -> bool:  # fmt: skip
    """What a receiver does (our tests and the chaos receiver use it)."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1")


_clients: dict[int, httpx.Client] = {}


def _client() -> httpx.Client:
    """One client per process (a worker's pool children are forked): building one loads
    the CA bundle, which costs more than the request itself. Connections are reused."""
    client = _clients.get(os.getpid())
    if client is None:
        client = httpx.Client(
            timeout=httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS, connect=5.0),
            follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )  # fmt: skip
        _clients.clear()
        _clients[os.getpid()] = client
    return client


@dataclass
class Delivery:
    status_code: int
    body: bytes


def post(*, url: str, secret: str, previous_secret: str = "",
         rotated_at: datetime | None = None, event: str, idempotency_key: str,
         payload: dict) -> Delivery:  # fmt: skip
    """One signed POST. Raises WebhookError for a refused URL, a network error or a
    non-2xx answer."""
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise WebhookError("; ".join(exc.messages)) from exc
    if not secret:
        raise WebhookError("the vendor has no webhook secret")
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Event": event,
        "X-Helpdesk-Idempotency-Key": idempotency_key,
        "X-Helpdesk-Signature": signature_header(
            secret=secret, previous_secret=previous_secret, rotated_at=rotated_at,
            timestamp=timestamp, body=body,
        ),
    }  # fmt: skip
    try:
        response = _client().post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"HTTP {response.status_code}: {response.text[:200]}",
                           status_code=response.status_code)  # fmt: skip
    return Delivery(status_code=response.status_code, body=response.content[:1000])
