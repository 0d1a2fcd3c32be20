"""What every ticket service shares: the domain errors, the audit event, the row lock."""

from __future__ import annotations

from accounts.models import User
from core.errors import Conflict, Invalid
from tickets.models import Event, Ticket


class TicketError(Invalid):
    """A change to a ticket that is not allowed; the message says why (shown to the user)."""


class TicketConflict(Conflict, TicketError):
    """The change conflicts with the ticket's current state (HTTP 409)."""


def _event(ticket: Ticket, actor: User | None, kind: str, before: dict | None = None,
           after: dict | None = None) -> Event:  # fmt: skip
    return Event.objects.create(
        ticket=ticket, actor=actor, kind=kind, before=before or {}, after=after or {}
    )


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "queue", "assignee")
        .defer("search_vector")
        .get(pk=ticket.pk)
    )
