"""Which legal holds cover a requester's data: a hold on them, on one of their tickets, on
a queue one of their tickets is in, or on a saved search that finds one of them."""

from __future__ import annotations

from django.db.models import Q
from django.http import QueryDict

from privacy.models import LegalHold
from tickets.forms import QueueFilterForm
from tickets.models import Requester, Ticket
from tickets.selectors import queue_tickets


def subject_tickets(requester: Requester) -> Q:
    """The tickets of the person: theirs, and those of the identities an agent typed
    that may be them (provisional records linked to them)."""
    return Q(requester=requester) | Q(requester__provisional_of=requester)


def holds_covering(requester: Requester) -> list[LegalHold]:
    """The active holds that cover any of the person's data, oldest first."""
    tickets = Ticket.objects.filter(subject_tickets(requester))
    active = LegalHold.objects.filter(released_at__isnull=True).select_related("saved_view")
    direct = list(active.filter(
        Q(scope=LegalHold.Scope.REQUESTER, requester=requester)
        | Q(scope=LegalHold.Scope.REQUESTER, requester__provisional_of=requester)
        | Q(scope=LegalHold.Scope.TICKET, ticket__in=tickets.values("pk"))
        | Q(scope=LegalHold.Scope.QUEUE, queue__in=tickets.values("queue_id"))
    ))  # fmt: skip
    for hold in active.filter(scope=LegalHold.Scope.SAVED_VIEW):
        if saved_view_tickets(hold).filter(pk__in=tickets.values("pk")).exists():
            direct.append(hold)
    return sorted(direct, key=lambda hold: (hold.created_at, hold.pk))


def saved_view_tickets(hold: LegalHold):  # type: ignore[no-untyped-def]
    """What the held saved search finds, as its owner sees it (the search, not the rows
    of the day it was held: a ticket that starts to match is held too)."""
    view = hold.saved_view
    if view is None:
        return Ticket.objects.none()
    filters = QueueFilterForm(QueryDict(view.query)).filters()
    return queue_tickets(view.owner, filters).order_by()


def ticket_is_held(ticket: Ticket) -> bool:
    """Whether an active hold covers this ticket (redaction and retention ask)."""
    active = LegalHold.objects.filter(released_at__isnull=True)
    if active.filter(
        Q(scope=LegalHold.Scope.TICKET, ticket=ticket)
        | Q(scope=LegalHold.Scope.QUEUE, queue_id=ticket.queue_id)
        | Q(scope=LegalHold.Scope.REQUESTER, requester_id=ticket.requester_id)
    ).exists():  # fmt: skip
        return True
    return any(saved_view_tickets(hold).filter(pk=ticket.pk).exists()
               for hold in active.filter(scope=LegalHold.Scope.SAVED_VIEW)
               .select_related("saved_view"))  # fmt: skip
