"""The one writer of a ticket's audit events (``Event``), and the kinds it may write.

A ticket's timeline is written by several apps: tickets itself, its SLA clocks, and the
apps that build on it (escalations, SOP checklists). Each names its kinds in a
``TextChoices`` and registers it here from its ``AppConfig.ready()``; the writer refuses
a kind nobody registered, so there are no free strings, and the timeline
(``tickets.timeline``) has a sentence for every registered kind (a test checks it).

``record`` writes one event now; ``build`` makes an unsaved one for ``record_many``
(one INSERT for a batch, as the SLA sweep and recompute do). Both are called inside the
caller's transaction: the audit and the change it describes commit together.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models

from tickets.models import Event, Ticket

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User


class EventKind(models.TextChoices):
    """What tickets and their SLA clocks record."""

    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    PRIORITY_CHANGED = "priority_changed"
    QUEUE_CHANGED = "queue_changed"
    TAGS_CHANGED = "tags_changed"
    NOTE_ADDED = "note_added"
    REPLY_SENT = "reply_sent"
    REQUESTER_REPLIED = "requester_replied"
    MACRO_APPLIED = "macro_applied"
    MERGED_INTO = "merged_into"
    MERGED_FROM = "merged_from"
    LINKED = "linked"
    SLA_STARTED = "sla_started"
    SLA_FULFILLED = "sla_fulfilled"
    SLA_PAUSED = "sla_paused"
    SLA_RESUMED = "sla_resumed"
    SLA_CANCELLED = "sla_cancelled"
    SLA_RETARGETED = "sla_retargeted"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"


_KINDS: dict[str, type[models.TextChoices]] = dict.fromkeys(EventKind.values, EventKind)


def register_kinds(kinds: type[models.TextChoices]) -> None:
    """Let an app write these kinds on tickets' timelines (from its ``AppConfig.ready``).
    A kind belongs to one app: registering another app's kind is a programming error."""
    for value in kinds.values:
        owner = _KINDS.setdefault(value, kinds)
        if owner is not kinds:
            raise ValueError(f"event kind {value!r} is already registered by {owner.__name__}")


def registered_kinds() -> dict[str, type[models.TextChoices]]:
    return dict(_KINDS)


def _checked(kind: models.TextChoices) -> str:
    value = str(kind.value) if isinstance(kind, models.Choices) else kind
    if value not in _KINDS:
        raise ValueError(f"unregistered ticket event kind {kind!r}")
    return value


def build(ticket: Ticket | int, actor: User | None, kind: models.TextChoices, *,
          before: dict | None = None, after: dict | None = None,
          at: datetime | None = None) -> Event:  # fmt: skip
    """An unsaved event, for ``record_many``; ``at`` defaults to now."""
    event = Event(actor=actor, kind=_checked(kind), before=before or {}, after=after or {})
    if isinstance(ticket, Ticket):
        event.ticket = ticket
    else:
        event.ticket_id = ticket
    if at is not None:
        event.created_at = at
    return event


def record(ticket: Ticket | int, actor: User | None, kind: models.TextChoices,
           before: dict | None = None, after: dict | None = None, *,
           at: datetime | None = None) -> Event:  # fmt: skip
    """Write one event on the ticket's timeline, in the caller's transaction."""
    event = build(ticket, actor, kind, before=before, after=after, at=at)
    event.save(force_insert=True)
    return event


def record_many(events: Iterable[Event]) -> list[Event]:
    """Write events made by ``build`` in one INSERT per thousand."""
    return Event.objects.bulk_create(list(events), batch_size=1000)
