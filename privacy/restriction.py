"""Restriction of processing (GDPR Art. 18): the person's data is kept, and nothing more
is done with it. Their open tickets are closed (solved, then closed, on their timeline
with the reason), and whatever was waiting to be sent to them (replies, receipts,
satisfaction surveys) is dropped. A new request from them is a new contact and is
handled as such."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from privacy.models import TicketEventKind
from quality.models import Survey
from tickets import events
from tickets.models import ACTIVE_STATUSES, Notification, Status, Ticket
from tickets.services import ticket_change_status

if TYPE_CHECKING:
    from privacy.erasure import Counts, Subject


def restrict(subject: Subject, counts: Counts) -> None:
    active = Ticket.objects.filter(pk__in=subject.ticket_ids, status__in=ACTIVE_STATUSES)
    for ticket in active.order_by("pk"):
        events.record(ticket, None, TicketEventKind.PROCESSING_RESTRICTED)
        ticket = ticket_change_status(actor=None, ticket=ticket, status=Status.SOLVED)
        ticket_change_status(actor=None, ticket=ticket, status=Status.CLOSED)
        counts.add("closed", 1)
    waiting = Notification.objects.filter(
        Q(ticket_id__in=subject.ticket_ids) | Q(message_id__in=subject.foreign_message_ids),
        state__in=[Notification.State.QUEUED, Notification.State.FAILED],
    )  # fmt: skip
    counts.add("outbox_dropped", waiting.delete()[1].get("tickets.Notification", 0))
    counts.add("surveys_cancelled", Survey.objects.filter(
        Q(ticket_id__in=subject.ticket_ids) | Q(requester_id__in=subject.requester_ids),
        state=Survey.State.SCHEDULED).update(state=Survey.State.CANCELLED))  # fmt: skip
