"""Safety's Celery tasks: the protected previews of new files, and the sweep that makes
those a lost delivery (a broker down at the time) left pending."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from safety import derivatives
from safety.models import Derivative

# A preview still pending this long after it was asked for was lost: ask again.
LOST_AFTER = timedelta(minutes=5)


@shared_task(name="safety.tasks.derive_attachments", ignore_result=True)
def derive_attachments(attachment_ids: list[int]) -> dict[str, int]:
    """Make the protected previews of these attachments (one already made is kept)."""
    return derivatives.make_many(attachment_ids)


@shared_task(name="safety.tasks.sweep_derivatives", ignore_result=True)
def sweep_derivatives() -> dict[str, int]:
    """Make the previews left pending for more than LOST_AFTER (beat; see settings)."""
    cutoff = timezone.now() - LOST_AFTER
    lost = list(
        Derivative.objects.filter(state=Derivative.State.PENDING, created_at__lt=cutoff)
        .order_by("id")
        .values_list("attachment_id", flat=True)[:500]
    )
    return derivatives.make_many(lost)
