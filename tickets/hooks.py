"""What happened to a ticket, announced to the apps that build on tickets.

``tickets`` knows nothing of the apps above it (escalations, SOPs, quality, analytics…);
it announces each change through a typed hook, and those apps subscribe from their
``AppConfig.ready()``::

    hooks.ticket_created.connect(on_ticket_created)

**The rule for handlers.** A hook is sent inside the caller's transaction, after the
change and its audit event are written, with the ticket row locked. A handler:

- may read, and write rows through its own app's services (an escalation raised by a
  rule commits or rolls back with the change that triggered it);
- must not do I/O: no mail, HTTP, Celery call or cache of a value that may yet roll
  back. Side effects go through the outbox (``tickets.outbox``), which delivers after
  commit;
- should cost nothing when it has nothing to do (read configuration from the
  per-process caches, not the database): every handler runs on every such change;
- raises only for a real error: an exception rolls the change itself back.

Handlers run in the order they connected (the order of ``INSTALLED_APPS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.hooks import Hook

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Message, SLAClock, Ticket


@dataclass(frozen=True, slots=True)
class TicketCreated:
    """A new ticket with its first message (which is not announced separately)."""

    ticket: Ticket
    actor: User | None


@dataclass(frozen=True, slots=True)
class MessageAdded:
    """A message after the first: an agent's public reply or internal note, or the
    requester writing again. ``message.kind`` and ``message.author_type`` say which."""

    ticket: Ticket
    message: Message
    actor: User | None


@dataclass(frozen=True, slots=True)
class StatusChanged:
    ticket: Ticket
    actor: User | None
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Assigned:
    """``old`` and ``new`` are user ids (None: nobody)."""

    ticket: Ticket
    actor: User | None
    old: int | None
    new: int | None


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """``old`` and ``new`` are queue ids."""

    ticket: Ticket
    actor: User | None
    old: int
    new: int


@dataclass(frozen=True, slots=True)
class TagsAdded:
    """Only the tags that were not there before."""

    ticket: Ticket
    actor: User | None
    tags: frozenset[str]


@dataclass(frozen=True, slots=True)
class Merged:
    """``source`` was folded into ``target`` and closed."""

    source: Ticket
    target: Ticket
    actor: User | None


@dataclass(frozen=True, slots=True)
class SLAFired:
    """An SLA clock passed its warning point or its target, from the SLA sweep.
    ``fired`` describes the clock (metric, due, policy…) as the timeline records it;
    ``escalate`` is True when the policy's action for a breach is to escalate."""

    ticket: Ticket
    fired: dict
    escalate: bool = False


@dataclass(frozen=True, slots=True)
class SLAStopped:
    """Clocks fulfilled by a reply or a solve, each now ``met`` or ``missed`` (a missed
    clock the sweep had not yet announced as breached has ``breached_at`` None)."""

    ticket: Ticket
    clocks: tuple[SLAClock, ...]


ticket_created: Hook[TicketCreated] = Hook("ticket_created")
message_added: Hook[MessageAdded] = Hook("message_added")
status_changed: Hook[StatusChanged] = Hook("status_changed")
assigned: Hook[Assigned] = Hook("assigned")
queue_changed: Hook[QueueChanged] = Hook("queue_changed")
tags_added: Hook[TagsAdded] = Hook("tags_added")
merged: Hook[Merged] = Hook("merged")
sla_warning: Hook[SLAFired] = Hook("sla_warning")
sla_breach: Hook[SLAFired] = Hook("sla_breach")
sla_stopped: Hook[SLAStopped] = Hook("sla_stopped")
