"""In-app clients: their keys, and the requests they file for their signed-in users."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import config_cache
from tickets.models import AppClient, Channel, Queue, Ticket, new_app_key
from tickets.services.tickets import requester_get_or_create, ticket_create


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def app_client_create(*, name: str, queue: Queue) -> tuple[AppClient, str]:
    """A new client and its key (returned once; only its hash is kept)."""
    key = new_app_key()
    client = AppClient.objects.create(name=name, queue=queue, key_prefix=key[:12],
                                      key_hash=_hash(key))  # fmt: skip
    return client, key


@transaction.atomic
def app_client_rotate_key(*, client: AppClient) -> str:
    key = new_app_key()
    AppClient.objects.filter(pk=client.pk).update(key_prefix=key[:12], key_hash=_hash(key))
    return key


def app_client_for_key(key: str) -> AppClient | None:
    if not key.startswith("hdk_"):
        return None
    client = AppClient.objects.select_related("queue").filter(
        key_hash=_hash(key), is_active=True).first()  # fmt: skip
    now = timezone.now()
    # Written at most once a minute: a busy app must not turn every request into a write.
    if client is not None and (client.last_used_at is None
                               or (now - client.last_used_at).total_seconds() > 60):  # fmt: skip
        AppClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


@transaction.atomic
@config_cache.read_only_request()
def inapp_request_create(*, client: AppClient, user_id: str, email: str, name: str,
                         language: str, subject: str, description: str, category: str,
                         app_version: str, device: str,
                         extra: dict[str, Any]) -> Ticket:  # fmt: skip
    requester = requester_get_or_create(external_id=user_id, email=email, name=name,
                                        language=language)  # fmt: skip
    return ticket_create(
        actor=None, requester=requester, queue=client.queue, subject=subject, body=description,
        channel=Channel.API, language=language or requester.language, category=category,
        metadata={"app": client.name, "app_version": app_version, "device": device,
                  "user_id": user_id, **({"extra": extra} if extra else {})},
    )  # fmt: skip
