"""How escalations follow tickets: the ticket hooks this app listens to (connected from
``EscalationsConfig.ready``). They run inside the ticket change's transaction, under the
rule in ``tickets.hooks``: rows only, configuration from the per-process cache, paging
and mail through the outbox."""

from __future__ import annotations

from escalations import services
from escalations.models import TicketEventKind
from tickets import events, hooks


def on_ticket_created(event: hooks.TicketCreated) -> None:
    """Reasons that escalate by themselves: a high-profile requester, a category or tag."""
    services.auto_escalate_new_ticket(event.ticket)


def on_tags_added(event: hooks.TagsAdded) -> None:
    services.auto_escalate_tags_added(event.ticket, set(event.tags))


def on_sla_breach(event: hooks.SLAFired) -> None:
    """An SLA policy's "escalate" breach action."""
    if not event.escalate:
        return
    reason = services.sla_breach_reason()
    if reason is not None:
        services.auto_escalate_sla_breach(event.ticket, event.fired, reason=reason)
    else:
        # No escalation reason handles SLA breaches: the request stays on the ticket's
        # timeline, where a lead sees it.
        events.record(event.ticket, None, TicketEventKind.SLA_ESCALATION_REQUESTED,
                      after=event.fired)  # fmt: skip


def connect() -> None:
    events.register_kinds(TicketEventKind)
    hooks.ticket_created.connect(on_ticket_created)
    hooks.tags_added.connect(on_tags_added)
    hooks.sla_breach.connect(on_sla_breach)
