"""Retention: tickets closed more than a policy's days ago are deleted or anonymised by
a daily run, in batches (each its own transaction, each with its audit entry), up to a
daily cap (PRIVACY_RETENTION_DAILY_CAP), oldest first. A legal hold's tickets are left
out. A dry run counts what a policy would reach before anyone switches it on."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from privacy import erasure
from privacy.holds import saved_view_tickets
from privacy.models import LegalHold, Mode, PrivacyEvent, RetentionPolicy
from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)


def eligible(policy: RetentionPolicy, *, now: datetime | None = None) -> QuerySet[Ticket]:
    """The policy's tickets due now, oldest closed first (privacy 0007's index)."""
    now = now or timezone.now()
    tickets = Ticket.objects.filter(status=Status.CLOSED,
                                    closed_at__lt=now - timedelta(days=policy.days))  # fmt: skip
    if policy.queue_id:
        tickets = tickets.filter(queue_id=policy.queue_id)
    if policy.category:
        tickets = tickets.filter(category=policy.category)
    if policy.channel:
        tickets = tickets.filter(channel=policy.channel)
    if policy.mode == Mode.ANONYMISE:
        tickets = tickets.exclude(requester__external_id=erasure.RETENTION_PLACEHOLDER)
    holds = LegalHold.objects.filter(released_at__isnull=True)
    tickets = tickets.exclude(pk__in=holds.filter(ticket__isnull=False).values("ticket_id"))
    tickets = tickets.exclude(queue_id__in=holds.filter(queue__isnull=False).values("queue_id"))
    tickets = tickets.exclude(
        requester_id__in=holds.filter(requester__isnull=False).values("requester_id"))  # fmt: skip
    for hold in holds.filter(scope=LegalHold.Scope.SAVED_VIEW).select_related("saved_view"):
        tickets = tickets.exclude(pk__in=saved_view_tickets(hold).values("pk"))
    return tickets.order_by("closed_at", "pk")


def dry_run(policy: RetentionPolicy, *, now: datetime | None = None) -> int:
    return eligible(policy, now=now).count()


def done_today(now: datetime) -> int:
    """Tickets retention has processed since midnight UTC (its audit entries say)."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    batches = PrivacyEvent.objects.filter(kind=PrivacyEvent.Kind.RETENTION_BATCH,
                                          created_at__gte=midnight)  # fmt: skip
    return sum(int(e.detail.get("counts", {}).get("tickets", 0)) for e in batches.only("detail"))


def run(*, now: datetime | None = None, cap: int | None = None, batch: int | None = None,
        seconds: float | None = None, pause: float | None = None) -> dict[str, int]:  # fmt: skip
    """One run (beat, every 10 minutes): the policies that are on, in batches, for at most
    PRIVACY_RETENTION_RUN_SECONDS, resting PRIVACY_RETENTION_PAUSE_SECONDS between
    batches (the day's work spread out, not one burst that slows the agents' pages and
    outlives the task's time limit), until the day's cap."""
    now = now or timezone.now()
    cap = settings.PRIVACY_RETENTION_DAILY_CAP if cap is None else cap
    batch = batch or settings.PRIVACY_RETENTION_BATCH
    seconds = settings.PRIVACY_RETENTION_RUN_SECONDS if seconds is None else seconds
    pause = settings.PRIVACY_RETENTION_PAUSE_SECONDS if pause is None else pause
    started = time.monotonic()
    done: dict[str, int] = {}
    left = cap - done_today(now)
    for policy in RetentionPolicy.objects.filter(is_active=True).order_by("pk"):
        while left > 0:
            if done and time.monotonic() - started >= seconds:
                return done
            if done and pause:
                time.sleep(pause)
            ids = list(eligible(policy, now=now).values_list("pk", flat=True)[: min(batch, left)])
            if not ids:
                break
            with transaction.atomic():
                # The run holds the policy: a second run at once waits, then finds less.
                RetentionPolicy.objects.select_for_update().get(pk=policy.pk)
                ids = list(Ticket.objects.select_for_update(skip_locked=True)
                           .filter(pk__in=ids).values_list("pk", flat=True))  # fmt: skip
                if not ids:  # all taken by another transaction (an erasure): next run
                    break
                counts = erasure.erase_tickets(ids, mode=policy.mode)
                RetentionPolicy.objects.filter(pk=policy.pk).update(
                    last_run_at=now, processed=policy.processed + len(ids))  # fmt: skip
                policy.processed += len(ids)
                detail = {"mode": policy.mode, "counts": counts}
                PrivacyEvent.objects.create(kind=PrivacyEvent.Kind.RETENTION_BATCH,
                                            policy=policy, detail=detail)  # fmt: skip
            left -= len(ids)
            done[policy.name] = done.get(policy.name, 0) + len(ids)
    return done
