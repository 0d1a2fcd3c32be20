"""Requests from the public help center: a ticket, an acknowledgement email with a
signed link, and the requester's own page where they read the conversation and reply."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import config_cache
from core.urls import absolute_url
from tickets import outbox, selectors
from tickets.models import Channel, Queue, Ticket
from tickets.services.common import TicketError
from tickets.services.tickets import _attach, requester_get_or_create, ticket_create

LINK_SALT = "tickets.help-center-link"
LINK_MAX_AGE = 180 * 24 * 3600  # a requester's link works for six months


def requester_link(ticket: Ticket) -> str:
    token = signing.dumps({"t": ticket.pk, "r": ticket.requester_id}, salt=LINK_SALT)
    return absolute_url("help:ticket", token)


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
    """The queue requests from the help center go to (cached per process until any
    queue changes; callers must not modify it)."""
    slug = settings.HELP_CENTER_QUEUE
    return selectors.active_queue(slug=slug) if slug else None


@transaction.atomic
@config_cache.read_only_request()
def help_center_submit(*, email: str, name: str, subject: str, body: str, category: str,
                       language: str, files: Iterable = ()) -> Ticket:  # fmt: skip
    queue = help_center_queue()
    if queue is None:
        raise TicketError(_("The help center is not taking requests right now."))
    requester = requester_get_or_create(email=email, name=name, language=language)
    ticket = ticket_create(actor=None, requester=requester, queue=queue, subject=subject,
                           body=body, channel=Channel.WEB, language=language,
                           category=category)  # fmt: skip
    if files:
        _attach(ticket.messages.all()[0], files)  # known to ticket_create: no query
    ticket_acknowledge(ticket, kind="help_center_ack")
    return ticket


ACK_KINDS = ("email_ack", "help_center_ack")


def ticket_acknowledge(ticket: Ticket, *, kind: str) -> bool:
    """Email the requester a receipt for their new ticket, in its language, from the
    queue's address, marked ``Auto-Submitted: auto-replied``; unless this sender had
    EMAIL_ACK_LIMIT receipts in the last EMAIL_ACK_WINDOW_MINUTES (a mail loop or a flood
    from one address gets a handful, not thousands). Returns whether one was queued."""
    address = ticket.requester.email
    if not address:
        return False
    since = timezone.now() - timedelta(minutes=settings.EMAIL_ACK_WINDOW_MINUTES)
    batch = outbox.Batch()
    batch.email(
        kind=kind, key=[ticket.pk], to=address, template="ack",
        context={"ticket": ticket, "name": ticket.requester.name or address,
                 "link": requester_link(ticket)},
        language=ticket.language or ticket.requester.language, automatic="auto-replied",
        from_email=selectors.queue_sender(ticket.queue_id), ticket=ticket,
    )  # fmt: skip
    # One statement counts and writes: the function (migration 0019) takes the sender's
    # lock, held to the commit, and counts their receipts; the row is written only if
    # they had fewer than the limit. One sender's receipts are so counted one at a time.
    limit = settings.EMAIL_ACK_LIMIT
    queued = batch.queue_if("tickets_receipts_since(%s, %s, %s) < %s",
                            [address, since, list(ACK_KINDS), limit])  # fmt: skip
    return bool(queued)
