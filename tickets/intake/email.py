"""Inbound email: one function takes a raw message from any way in (MTA pipe or file,
webhook, IMAP) and makes it a new ticket, a reply on a ticket, or a record of why not.

The raw message is stored before anything else and processed in a savepoint, so
nothing is lost: a message that cannot be read, or whose processing fails, is kept
quarantined with the reason for an admin to retry or discard.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.forms.models import model_to_dict

from accounts.models import User
from core import config_cache
from tickets import attachments, selectors
from tickets.intake import inbound
from tickets.intake.help_center import ticket_acknowledge
from tickets.models import (
    Attachment,
    Channel,
    ConfigEvent,
    EmailRoute,
    InboundEmail,
    Mailbox,
    Message,
    Notification,
    Queue,
    Status,
    Ticket,
)
from tickets.services.common import TicketError
from tickets.services.tickets import requester_get_or_create, ticket_create, ticket_requester_reply

logger = logging.getLogger(__name__)
Outcome = InboundEmail.Outcome
# "[#ABCDEF2345]" or "[ABCDEF2345]" in a subject: the reference our replies carry.
SUBJECT_TOKEN = re.compile(r"\[#?([2-9A-HJ-NP-Z]{10})\]")
MAX_ATTACHMENTS = 20


@dataclass
class IngestResult:
    outcome: str
    inbound: InboundEmail
    ticket: Ticket | None = None
    detail: str = ""
    message: Message | None = None  # the conversation message it became

    def line(self) -> str:
        """One line for the ingest_email command's output."""
        labels: dict[str, str] = {
            Outcome.NEW_TICKET: f"new ticket {self.ticket.reference if self.ticket else ''}",
            Outcome.REPLY: f"reply on ticket {self.ticket.reference if self.ticket else ''}",
            Outcome.IGNORED: "ignored",
            Outcome.DUPLICATE: "duplicate",
            Outcome.QUARANTINED: "quarantined",
        }
        what = labels.get(self.outcome, self.outcome)
        mid = self.inbound.message_id or f"inbound #{self.inbound.pk}"
        return f"{mid}: {what}" + (f" ({self.detail})" if self.detail else "")


def _own_addresses(routing: selectors.EmailRouting) -> set[str]:
    own = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    own.update(a.lower() for a in settings.INBOUND_EMAIL_OWN_ADDRESSES)
    own.update(routing.mailboxes)
    return own


@dataclass(frozen=True)
class Route:
    queue: Queue | None
    category: str = ""
    acknowledge: bool = True


def _route(parsed: inbound.ParsedEmail, queue: Queue | None,
           routing: selectors.EmailRouting) -> Route:  # fmt: skip
    """Where a new ticket from this mail goes: the first routing rule that matches, else
    the mailbox it was read from (IMAP, --queue), else the mailbox it was sent to, else
    INBOUND_EMAIL_QUEUE. The queues come from the per-process cache."""
    mailbox = next((routing.mailboxes[a] for a in parsed.to if a in routing.mailboxes), None)
    acknowledge = mailbox[1] if mailbox else settings.INBOUND_EMAIL_ACKNOWLEDGE
    fields = {"from": parsed.from_address.lower(), "to": " ".join(parsed.to),
              "subject": parsed.subject.lower(), "body": parsed.text[:20_000].lower()}  # fmt: skip
    for field, text, queue_id, category in routing.routes:
        if text in fields[field]:
            return Route(selectors.active_queue(pk=queue_id), category, acknowledge)
    if queue is not None:
        return Route(queue, "", acknowledge)
    if mailbox is not None:
        return Route(selectors.active_queue(pk=mailbox[0]), "", acknowledge)
    slug = settings.INBOUND_EMAIL_QUEUE
    return Route(selectors.active_queue(slug=slug) if slug else None, "", acknowledge)


def _thread(parsed: inbound.ParsedEmail) -> Ticket | None:
    """The ticket this answers: by the Message-IDs it refers to, then the subject token."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        known = (
            Message.objects.filter(channel_message_id__in=ids)
            .select_related("ticket__requester").order_by("-created_at", "-id").first()
        )  # fmt: skip
        if known is not None:
            return known.ticket
        sent = (
            Notification.objects.filter(sent_message_id__in=ids, ticket__isnull=False)
            .select_related("ticket__requester").order_by("-id").first()
        )  # fmt: skip
        if sent is not None:  # a reply to our acknowledgement
            return sent.ticket
    token = SUBJECT_TOKEN.search(parsed.subject)
    if token:
        return Ticket.objects.select_related("requester").filter(reference=token.group(1)).first()
    return None


def _seen_before(record: InboundEmail, message_id: str) -> bool:
    """Whether this Message-ID already became something (one query for both places)."""
    inbound_ids = (
        InboundEmail.objects.filter(
            message_id=message_id, outcome__in=[Outcome.NEW_TICKET, Outcome.REPLY, Outcome.IGNORED]
        )
        .exclude(pk=record.pk or 0)
        .values("pk")[:1]
    )
    message_ids = Message.objects.filter(channel_message_id=message_id).values("pk")[:1]
    return inbound_ids.union(message_ids, all=True).exists()


def _attach(message: Message, files: list[inbound.InboundAttachment]) -> None:
    for item in files[:MAX_ATTACHMENTS]:
        upload = SimpleUploadedFile(item.filename, item.data, item.content_type)
        name, content_type = attachments.check(upload)
        record = Attachment(message=message, filename=name, content_type=content_type,
                            size=len(item.data))  # fmt: skip
        record.file.save(name, upload, save=False)
        record.save()


def _process(record: InboundEmail, parsed: inbound.ParsedEmail,
             queue: Queue | None) -> IngestResult:  # fmt: skip
    routing = selectors.email_routing()  # read once per message
    if parsed.from_address in _own_addresses(routing):
        return IngestResult(Outcome.IGNORED, record, detail="sent from our own address")
    if parsed.message_id and _seen_before(record, parsed.message_id):
        return IngestResult(Outcome.DUPLICATE, record, detail="Message-ID already received")
    if parsed.automatic:
        return IngestResult(Outcome.IGNORED, record, detail=parsed.automatic)
    body = parsed.text or parsed.subject or "(no text)"
    ticket, why_new = _thread(parsed), ""
    while ticket is not None and ticket.merged_into_id:
        ticket = Ticket.objects.select_related("requester").get(pk=ticket.merged_into_id)
    if ticket is not None:
        if (ticket.requester.email or "").lower() != parsed.from_address:
            why_new, ticket = (
                f"{parsed.from_address} is not a participant of {ticket.reference}",
                None,
            )
        elif ticket.status == Status.CLOSED:
            why_new, ticket = f"{ticket.reference} is closed", None
    if ticket is not None:
        message = ticket_requester_reply(ticket=ticket, body=body, body_html=parsed.html,
                                         channel=Channel.EMAIL,
                                         channel_message_id=parsed.message_id)  # fmt: skip
        _attach(message, parsed.attachments)
        return IngestResult(Outcome.REPLY, record, ticket, message=message)
    route = _route(parsed, queue, routing)
    if route.queue is None:
        raise TicketError("no queue for inbound email (add a mailbox, set INBOUND_EMAIL_QUEUE "
                          "or use --queue)")  # fmt: skip
    requester = requester_get_or_create(email=parsed.from_address, name=parsed.from_name,
                                        language=parsed.language)  # fmt: skip
    ticket = ticket_create(
        actor=None, requester=requester, queue=route.queue,
        subject=parsed.subject or body.split("\n", 1)[0][:120] or "(no subject)",
        body=body, channel=Channel.EMAIL, language=parsed.language or requester.language,
        body_html=parsed.html, channel_message_id=parsed.message_id, category=route.category,
        metadata={"email": {"to": parsed.to[:20]}},
    )  # fmt: skip
    first = ticket.messages.all()[0]  # known to ticket_create: no query
    _attach(first, parsed.attachments)
    notes = [why_new] if why_new else []
    if route.acknowledge and not ticket_acknowledge(ticket, kind="email_ack"):
        notes.append("no acknowledgement: too many for this sender")
    return IngestResult(Outcome.NEW_TICKET, record, ticket, detail="; ".join(notes),
                        message=first)  # fmt: skip


def email_ingest(raw: bytes, *, source: str = InboundEmail.Source.PIPE,
                 queue: Queue | None = None) -> IngestResult:  # fmt: skip
    """Make the message a ticket, a reply, or say why not, and store it raw with what
    became of it.

    The raw row is written in the processing's transaction, with its outcome (one
    INSERT). Whatever goes wrong in processing rolls that transaction back, and the raw
    row is then written alone as quarantined. Until one of the two commits, the sender
    (MTA, IMAP server, webhook caller) still holds the message and is told it was not
    taken."""
    record = InboundEmail(raw=raw, size=len(raw), source=source, outcome=Outcome.QUARANTINED,
                          reason="not processed yet")  # fmt: skip
    return email_process(record, queue=queue)


def email_process(record: InboundEmail, *, queue: Queue | None = None) -> IngestResult:
    """Process a message (``email_ingest``'s unsaved record), or again a stored one (the
    admin's "retry")."""
    try:
        parsed = inbound.parse(bytes(record.raw),
                               max_attachment_bytes=settings.ATTACHMENT_MAX_BYTES)  # fmt: skip
    except inbound.UnreadableEmail as exc:
        return _quarantine(record, str(exc))
    except Exception as exc:  # MIME the parser cannot walk is still kept
        logger.exception("inbound email %s could not be read", record.pk)
        return _quarantine(record, f"unreadable: {type(exc).__name__}: {exc}")
    record.message_id, record.from_address = parsed.message_id, parsed.from_address
    record.subject = parsed.subject[:255]
    try:
        with transaction.atomic(), config_cache.read_only_request():
            result = _process(record, parsed, queue)
            record.outcome, record.reason = result.outcome, result.detail
            record.ticket = result.ticket
            record.created_message = result.message
            _save(record)
    except (TicketError, attachments.AttachmentError, ValueError) as exc:
        return _quarantine(record, str(exc))
    except Exception as exc:  # one bad message never stops a batch
        logger.exception("inbound email %s could not be processed", record.pk)
        return _quarantine(record, f"internal error: {type(exc).__name__}: {exc}")
    return result


# What processing sets; never the raw bytes again (they can be megabytes).
_FIELDS = ["message_id", "from_address", "subject", "outcome", "reason", "ticket",
           "created_message"]  # fmt: skip


def _quarantine(record: InboundEmail, reason: str) -> IngestResult:
    """Keep the message for an admin, with why. Nothing here may fail on what the message
    held: a reason quoting it, or what was read from it, loses its NULs and is cut to
    its column, so the row is always written (and the sender not asked to retry)."""
    reason = inbound.clean(reason)
    record.outcome, record.reason = Outcome.QUARANTINED, reason[:2000]
    record.message_id = inbound.clean(record.message_id)[:255]
    record.from_address = inbound.clean(record.from_address)[:320]
    record.subject = inbound.clean(record.subject)[:255]
    record.ticket, record.created_message = None, None
    _save(record)
    return IngestResult(Outcome.QUARANTINED, record, detail=reason[:200])


def _save(record: InboundEmail) -> None:
    """The first write of a new message's row (raw bytes included), or the outcome of a
    stored one's reprocessing (never the raw bytes again: they can be megabytes)."""
    if record.pk is None:
        record.save(force_insert=True)
    else:
        record.save(update_fields=_FIELDS)


@transaction.atomic
def email_discard(*, record: InboundEmail) -> None:
    InboundEmail.objects.filter(pk=record.pk, outcome=Outcome.QUARANTINED).update(
        outcome=Outcome.DISCARDED)  # fmt: skip


def quarantined() -> Q:
    return Q(outcome=Outcome.QUARANTINED)


_SECRET_FIELDS = {"imap_password"}


@transaction.atomic
def email_config_saved(*, actor: User | None, target: Mailbox | EmailRoute, action: str) -> None:
    """Audit an admin's change to a mailbox or routing rule (never the password)."""
    after = {
        key: value for key, value in model_to_dict(target).items() if key not in _SECRET_FIELDS
    }
    ConfigEvent.objects.create(
        action=action, actor=actor, target_type=target._meta.model_name or "",
        target_id=target.pk, after=json.loads(json.dumps(after, default=str)),
    )  # fmt: skip
