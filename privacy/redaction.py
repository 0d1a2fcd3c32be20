"""Redaction: removing a span of a message (a card number a requester pasted, a phone
number, an address) or replacing an attachment, everywhere the product keeps it.

A redacted span becomes ``[redacted]`` in the message, its HTML, the ticket's subject,
the outgoing emails and webhooks that carried it, and the ticket's timeline (through the
erasure path: the audit may be rewritten only there); the raw inbound email it came in
is emptied (its record stays: when, from whom, what became of it), and the ticket's
search text is rebuilt. The audit records who, when and why, and how many characters,
never the removed text. A legal hold on the ticket refuses redaction.

Suggestions point at what usually needs it: card numbers (Luhn-checked), IBANs (checked
by their mod-97 digits), email addresses, phone numbers (libphonenumber, in the region of
the requester or PRIVACY_PHONE_REGION), and the patterns an admin configures
(PRIVACY_REDACTION_PATTERNS).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import iban, luhn

from chat import services as chat_services
from core.errors import Forbidden, Invalid
from privacy import erasure
from privacy.holds import ticket_is_held
from privacy.models import Redaction, TicketEventKind
from safety.models import Derivative
from tickets import events
from tickets.models import Attachment, Event, InboundEmail, Message, Notification, Ticket
from tickets.selectors import visible_tickets

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
REDACTED = "[redacted]"
# Kept on the inbound email's record (stored text, like the ingester's reasons).
RAW_REMOVED = "The raw message was removed when a part of it was redacted."
PERMISSION = "privacy.add_redaction"

KIND_LABELS = {
    "card": gettext_lazy("Card number"),
    "iban": gettext_lazy("IBAN"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Phone number"),
    "pattern": gettext_lazy("Matches a configured pattern"),
}

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Suggestion:
    kind: str
    start: int
    end: int
    text: str

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def suggestions(text: str, *, region: str = "") -> list[Suggestion]:
    """What in the text looks like personal data, in order, never two overlapping (the
    first kind found wins: a card number is not also a phone number)."""
    found: list[Suggestion] = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            found.append(Suggestion("card", match.start(), match.end(), match.group()))
    for match in _IBAN.finditer(text):
        if iban.is_valid(match.group()):
            found.append(Suggestion("iban", match.start(), match.end(), match.group()))
    for match in _EMAIL.finditer(text):
        found.append(Suggestion("email", match.start(), match.end(), match.group()))
    phone_region = (region or settings.PRIVACY_PHONE_REGION or "US").upper()
    for number in phonenumbers.PhoneNumberMatcher(text, phone_region):
        found.append(Suggestion("phone", number.start, number.end, number.raw_string))
    for pattern in _patterns():
        for match in pattern.finditer(text):
            if match.group():
                found.append(Suggestion("pattern", match.start(), match.end(), match.group()))
    kept: list[Suggestion] = []
    for item in found:  # kinds in order of trust; the first claim on a span stays
        if not any(item.start < other.end and other.start < item.end for other in kept):
            kept.append(item)
    return sorted(kept, key=lambda item: item.start)


def _patterns() -> list[re.Pattern[str]]:
    compiled = []
    for pattern in settings.PRIVACY_REDACTION_PATTERNS:
        try:
            compiled.append(re.compile(pattern))
        except re.error:
            logger.warning("PRIVACY_REDACTION_PATTERNS: %r is not a regular expression", pattern)
    return compiled


class RedactionError(Invalid):
    """A redaction that cannot be done as asked; the message says why."""


def can_redact(user: User) -> bool:
    """Leads and admins (their roles hold the permission; it can be taken from a person's
    groups in the Django admin). Agents never: the ticket page asks no query of them."""
    if not (user.is_authenticated and user.is_active):
        return False
    return (user.is_admin or user.is_lead) and user.has_perm(PERMISSION)


def redactable_tickets(user: User):  # type: ignore[no-untyped-def]
    """The scoping function: the tickets a person may redact (their visible tickets, when
    they have the permission)."""
    if not can_redact(user):
        return Ticket.objects.none()
    return visible_tickets(user)


def _check(actor: User, ticket: Ticket, reason: str) -> str:
    if not redactable_tickets(actor).filter(pk=ticket.pk).exists():
        raise Forbidden(_("You cannot redact this ticket."))
    if ticket_is_held(ticket):
        raise RedactionError(_("A legal hold covers this ticket: nothing on it may be redacted."))
    reason = reason.strip()
    if not reason:
        raise RedactionError(_("Say why you redact it."))
    return reason[:500]


@transaction.atomic
def message_redact(*, actor: User, message: Message, spans: list[str], reason: str) -> Redaction:
    """Replace every occurrence of each span in the message, and wherever it was copied."""
    ticket = Ticket.objects.select_for_update().get(pk=message.ticket_id)
    reason = _check(actor, ticket, reason)
    message = Message.objects.select_for_update().get(pk=message.pk)
    spans = sorted({span.strip() for span in spans if span.strip()}, key=len, reverse=True)
    if not spans:
        raise RedactionError(_("Choose or type the text to redact."))
    missing = [span for span in spans if span not in message.body]
    if missing:
        raise RedactionError(_("The message does not contain “%(text)s”.") % {
            "text": missing[0][:80]})  # fmt: skip
    characters = sum(message.body.count(span) * len(span) for span in spans)
    message.body = _replace(message.body, spans)
    message.body_html = _replace_html(message.body_html, spans)
    message.save(update_fields=["body", "body_html"])
    if any(span in ticket.subject for span in spans):
        Ticket.objects.filter(pk=ticket.pk).update(subject=_replace(ticket.subject, spans))
    erasure.privileged()
    # The message's own mail, and the ticket's mail that copies messages (a chat's
    # transcript), where it holds the text.
    copies = Notification.objects.filter(Q(message=message) | Q(ticket=ticket, message=None))
    for notification in copies:
        if notification.message_id is None and not any(
                span in notification.body or span in notification.body_html
                for span in spans):  # fmt: skip
            continue
        Notification.objects.filter(pk=notification.pk).update(
            subject=_replace(notification.subject, spans), body=_replace(notification.body, spans),
            body_html=_replace_html(notification.body_html, spans),
            payload=_replaced_json(notification.payload, spans))  # fmt: skip
    InboundEmail.objects.filter(created_message=message).exclude(size=0).update(
        raw=b"", size=0, reason=RAW_REMOVED
    )
    for event in Event.objects.filter(ticket=ticket):
        before, after = _replaced_json(event.before, spans), _replaced_json(event.after, spans)
        if (before, after) != (event.before, event.after):
            Event.objects.filter(pk=event.pk).update(before=before, after=after)
    erasure.reindex([ticket.pk])
    chat_services.forget_streams([ticket.pk])
    redaction = Redaction.objects.create(ticket=ticket, message=message, actor=actor,
                                         kind=Redaction.Kind.SPAN, reason=reason,
                                         characters=characters)  # fmt: skip
    after = {"message": message.pk, "characters": characters, "reason": reason}
    events.record(ticket, actor, TicketEventKind.MESSAGE_REDACTED, after=after)
    return redaction


@transaction.atomic
def attachment_replace(*, actor: User, attachment: Attachment, reason: str) -> Redaction:
    """Replace a file by a short notice; the original leaves the storage after commit."""
    message = Message.objects.select_related("ticket").get(pk=attachment.message_id)
    reason = _check(actor, message.ticket, reason)
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    old = attachment.file.name
    notice = _("This file was removed by redaction.").encode()
    attachment.file.save("redacted.txt", ContentFile(notice), save=False)
    attachment.filename = "redacted.txt"
    attachment.content_type = "text/plain"
    attachment.size = len(notice)
    attachment.save(update_fields=["file", "filename", "content_type", "size"])
    # Its protected previews showed the removed file too: they go with it.
    gone = [old] if old else []
    for preview in Derivative.objects.filter(attachment=attachment):
        gone += [name for name in (preview.file.name, preview.grey_file.name) if name]
        preview.delete()
    if gone:
        transaction.on_commit(lambda: erasure.delete_files(gone))
    redaction = Redaction.objects.create(ticket=message.ticket, message=message, actor=actor,
                                         kind=Redaction.Kind.ATTACHMENT, reason=reason)  # fmt: skip
    events.record(message.ticket, actor, TicketEventKind.ATTACHMENT_REPLACED,
                  after={"message": message.pk, "reason": reason})  # fmt: skip
    return redaction


def _replace(text: str, spans: list[str]) -> str:
    for span in spans:
        text = text.replace(span, REDACTED)
    return text


def _replace_html(html: str, spans: list[str]) -> str:
    """The span as the HTML has it (escaped, or not); an HTML part that still holds it
    some other way (split by tags) is dropped, and the plain text is shown instead."""
    if not html:
        return html
    for span in spans:
        html = html.replace(str(escape(span)), REDACTED).replace(span, REDACTED)
    if any(_squeezed(span) in _squeezed(re.sub(r"<[^>]*>", "", html)) for span in spans):
        return ""
    return html


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _replaced_json(value: Any, spans: list[str]) -> Any:
    if isinstance(value, dict):
        return {key: _replaced_json(item, spans) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced_json(item, spans) for item in value]
    if isinstance(value, str):
        return _replace(value, spans)
    return value
