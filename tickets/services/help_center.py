"""Requests from the public help center: a ticket, an acknowledgement email with a
signed link, and the requester's own page where they read the conversation and reply."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from tickets import outbox
from tickets.models import Channel, Message, Notification, Queue, Ticket
from tickets.services.common import TicketError
from tickets.services.tickets import _attach, requester_get_or_create, ticket_create

LINK_SALT = "tickets.help-center-link"
LINK_MAX_AGE = 180 * 24 * 3600  # a requester's link works for six months


def requester_link(ticket: Ticket) -> str:
    token = signing.dumps({"t": ticket.pk, "r": ticket.requester_id}, salt=LINK_SALT)
    return f"{settings.SITE_URL}/help/t/{token}/"


def ticket_for_link(token: str) -> Ticket | None:
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Ticket.objects.select_related("requester", "queue")
        .filter(pk=data.get("t"), requester_id=data.get("r")).first()
    )  # fmt: skip


def help_center_queue() -> Queue | None:
    slug = settings.HELP_CENTER_QUEUE
    return Queue.objects.filter(slug=slug, is_active=True).first() if slug else None


@transaction.atomic
def help_center_submit(*, email: str, name: str, subject: str, body: str, category: str,
                       language: str, files: Iterable = ()) -> Ticket:  # fmt: skip
    queue = help_center_queue()
    if queue is None:
        raise TicketError(_("The help center is not taking requests right now."))
    requester = requester_get_or_create(email=email, name=name, language=language)
    ticket = ticket_create(actor=None, requester=requester, queue=queue, subject=subject,
                           body=body, channel=Channel.WEB, language=language,
                           category=category)  # fmt: skip
    first = ticket.messages.get()
    _attach(first, files)
    _acknowledge(ticket, first)
    return ticket


def _acknowledge(ticket: Ticket, message: Message) -> None:
    key = hashlib.sha256(f"help_center_ack:{ticket.pk}".encode()).hexdigest()
    body = _(
        "Hello %(name)s,\n\nWe have your request “%(subject)s” (reference %(ref)s). We will "
        "answer by email; you can also read the conversation and reply here:\n\n%(link)s\n"
    ) % {"name": ticket.requester.name or ticket.requester.email, "subject": ticket.subject,
         "ref": ticket.reference, "link": requester_link(ticket)}  # fmt: skip
    notification = Notification.objects.create(
        kind="help_center_ack", channel=Notification.Channel.EMAIL,
        recipient=ticket.requester.email, subject=f"[{ticket.reference}] {ticket.subject}",
        body=body, ticket=ticket, idempotency_key=key,
        payload={"headers": {"Auto-Submitted": "auto-replied"}},
    )  # fmt: skip
    outbox.enqueue_delivery(notification.pk)
