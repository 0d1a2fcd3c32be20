"""What every ticket service shares: the domain errors and the row lock (the audit
event has its own writer, ``tickets.events``)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import ForeignKey

from core.errors import Conflict, Invalid
from tickets.models import Ticket


class TicketError(Invalid):
    """A change to a ticket that is not allowed; the message says why (shown to the user)."""


class TicketConflict(Conflict, TicketError):
    """The change conflicts with the ticket's current state (HTTP 409)."""


_RELATED = tuple(cast("ForeignKey[Any, Any]", Ticket._meta.get_field(name))
                 for name in ("requester", "queue", "assignee"))  # fmt: skip


def _locked(ticket: Ticket) -> Ticket:
    """The ticket's row read again and locked for this transaction. Its requester, queue
    and assignee come with it, read in the same query, unless ``ticket`` has them loaded
    already (the request's own lookup) and the row still names the same ones: those are
    kept, since reading them again (a join) costs the ORM twice what the row alone does."""
    loaded = [field for field in _RELATED if field.is_cached(ticket)]
    query = Ticket.objects.select_for_update(of=("self",)).defer("search_vector")
    missing = [field.name for field in _RELATED if field not in loaded]
    fresh = (query.select_related(*missing) if missing else query).get(pk=ticket.pk)
    for field in loaded:
        if getattr(ticket, field.attname) == getattr(fresh, field.attname):
            field.set_cached_value(fresh, field.get_cached_value(ticket))
    return fresh
