"""What every ticket service shares: the domain errors and the row lock (the audit
event has its own writer, ``tickets.events``)."""

from __future__ import annotations

from core.errors import Conflict, Invalid
from tickets.models import Ticket


class TicketError(Invalid):
    """A change to a ticket that is not allowed; the message says why (shown to the user)."""


class TicketConflict(Conflict, TicketError):
    """The change conflicts with the ticket's current state (HTTP 409)."""


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "queue", "assignee")
        .defer("search_vector")
        .get(pk=ticket.pk)
    )
