"""Erasing a requester: the one privileged path that may rewrite the audit.

Everything about the person is reached from their identity records (the requester, the
provisional identities that may be them) and their tickets, set-wise, in one
transaction:

- **delete**: their tickets (with messages, attachments, timeline, SLA clocks, outbox
  rows and delivery logs, escalations and notes, QA reviews, ratings, checklist ticks),
  the messages of theirs that a merge moved onto another person's ticket, raw inbound
  emails and the quarantine, their export files, and the identity records themselves;
- **anonymise**: their tickets stay for the metrics, with the subject, every message body,
  escalation text, rating comment and review comment replaced, their files and raw
  emails deleted, the timeline's free text scrubbed and the identity replaced by a
  pseudonym;
- **restrict**: nothing is erased; their open tickets are closed and what was waiting to
  be sent to them is dropped.

Analytics facts and rollups hold no identity (ticket ids, queues, agents, languages,
counts), so they stay and the dashboards' past figures do not move. Files leave the
storage after the transaction commits.

The audit tables refuse UPDATE and DELETE by a trigger. That trigger lets a change
through only when the transaction has set ``helpdesk.erasure`` (``SET LOCAL``, migration
privacy 0002), which only ``privileged()`` here does (for an erasure, and for a
redaction: privacy.redaction). The privacy audit records that an erasure ran, with
counts, never what was erased.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from chat import services as chat_services
from escalations.models import Escalation, EscalationNote
from exports.models import ExportJob
from privacy.models import LegalHold, TicketEventKind
from quality.models import CoachingTask, Dispute, QualityEvent, Review, Survey
from safety.models import Derivative
from tickets import events
from tickets.models import (
    Attachment,
    Event,
    InboundEmail,
    Message,
    Notification,
    Requester,
    Ticket,
)

logger = logging.getLogger(__name__)

ERASED = "[erased]"
# The keys of timeline values that hold free text (a note, a subject, an outcome): an
# anonymised ticket's timeline keeps its statuses, queues and times, never these.
FREE_TEXT_KEYS = frozenset({
    "subject", "body", "note", "outcome", "summary", "comment", "name", "email", "from",
    "requester", "text", "reason_text", "filename", "title_requester",
})  # fmt: skip
SUBJECT_EXPORT_SOURCE = "privacy.subject"
# The requester that tickets anonymised by a retention policy are moved to.
RETENTION_PLACEHOLDER = "erased-by-retention"


@dataclass
class Subject:
    """The person's identity records and what is theirs."""

    requester: Requester | None  # None: tickets erased by a retention policy
    requester_ids: list[int]
    ticket_ids: list[int]
    # Their messages on other people's tickets (a merge moved them there).
    foreign_message_ids: list[int]
    needles: list[str] = field(default_factory=list)


def subject_of(requester: Requester) -> Subject:
    records = list(Requester.objects.filter(
        Q(pk=requester.pk) | Q(provisional_of=requester) | _same_identity(requester)))  # fmt: skip
    ids = sorted({record.pk for record in records})
    ticket_ids = list(Ticket.objects.filter(requester_id__in=ids).values_list("pk", flat=True))
    foreign = list(Message.objects.filter(origin_requester_id__in=ids)
                   .exclude(ticket_id__in=ticket_ids).values_list("pk", flat=True))  # fmt: skip
    needles: set[str] = set()
    for record in records:
        needles.update(value.strip() for value in (record.email, record.external_id)
                       if len(value.strip()) >= 3)  # fmt: skip
        # A name names the person only whole and with at least two words ("Ann" is in
        # "Channel", and in other people's names).
        if len(record.name.split()) >= 2 and len(record.name.strip()) >= 5:
            needles.add(record.name.strip())
    return Subject(requester, ids, ticket_ids, foreign, sorted(needles, key=len, reverse=True))


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    """The needles as whole words, whatever their case: "ann@x.org" is not found in
    "joann@x.org", nor the external id "42" in "1423"."""
    words = [re.escape(needle) for needle in needles if needle]
    if not words:
        return None
    return re.compile(r"(?<![\w@.+-])(?:" + "|".join(words) + r")(?![\w@-])", re.IGNORECASE)


def names_anyone(text: str, needles: Iterable[str]) -> bool:
    pattern = _pattern(needles)
    return bool(pattern and pattern.search(text))


def _same_identity(requester: Requester) -> Q:
    """Provisional records typed with the person's email or external id."""
    same = Q(pk__in=[])
    if requester.email:
        same |= Q(provisional_of__isnull=False, email__iexact=requester.email)
    if requester.external_id:
        same |= Q(provisional_of__isnull=False, external_id=requester.external_id)
    return same


@dataclass
class Counts:
    values: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, number: int) -> None:
        if number:
            self.values[key] = self.values.get(key, 0) + number


def privileged() -> None:
    """Let this transaction rewrite the audit tables (see the module's docstring)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL helpdesk.erasure = 'on'")


def erase(requester: Requester, *, mode: str) -> dict[str, int]:
    """Erase (``delete`` or ``anonymise``) or restrict the person's data; returns counts.
    The caller holds the transaction (services.erasure_run)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("erase() runs inside the caller's transaction")
    subject = subject_of(requester)
    counts = Counts()
    counts.add("tickets", len(subject.ticket_ids))
    if mode == "restrict":
        _restrict(subject, counts)
        return counts.values
    privileged()
    chat_services.forget_streams(subject.ticket_ids)
    _forget_released_holds(subject)
    files = _attachment_files(subject)
    _raw_emails(subject, counts)
    _outbox(subject, counts)
    files += _exports(subject, counts)
    if mode == "delete":
        _delete(subject, counts)
    else:
        _anonymise(subject, counts)
    _scrub_other_timelines(subject, counts)
    counts.add("files", len(files))
    transaction.on_commit(lambda: delete_files(files))
    return counts.values


def erase_tickets(ticket_ids: list[int], *, mode: str) -> dict[str, int]:
    """Erase these tickets (a retention policy's batch): ``delete`` them, or
    ``anonymise`` them and move them to one placeholder requester; a requester left with
    nothing (no ticket, no hold) is deleted. The caller holds the transaction and has
    left out the tickets a legal hold covers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("erase_tickets() runs inside the caller's transaction")
    subject = Subject(None, [], list(ticket_ids), [])
    counts = Counts()
    counts.add("tickets", len(ticket_ids))
    owners = set(Ticket.objects.filter(pk__in=ticket_ids).values_list("requester_id", flat=True))
    privileged()
    chat_services.forget_streams(list(ticket_ids))
    _forget_released_holds(subject)
    files = _attachment_files(subject)
    _raw_emails(subject, counts)
    _outbox(subject, counts)
    if mode == "delete":
        _delete(subject, counts)
    else:
        _anonymise(subject, counts)
        placeholder, _created = Requester.objects.get_or_create(
            external_id=RETENTION_PLACEHOLDER, provisional_of=None)  # fmt: skip
        Ticket.objects.filter(pk__in=ticket_ids).update(requester=placeholder)
        Survey.objects.filter(ticket_id__in=ticket_ids).update(requester=placeholder)
    held = LegalHold.objects.filter(released_at__isnull=True, requester__isnull=False)
    orphans = (Requester.objects.filter(pk__in=owners).exclude(tickets__isnull=False)
               .exclude(pk__in=held.values("requester_id")))  # fmt: skip
    counts.add("requesters", orphans.delete()[1].get("tickets.Requester", 0))
    counts.add("files", len(files))
    transaction.on_commit(lambda: delete_files(files))
    return counts.values


# ------------------------------------------------------------------------ parts


def _forget_released_holds(subject: Subject) -> None:
    """A released hold keeps its case, not the person's data (an active one never
    reaches here: the request waits for it)."""
    released = LegalHold.objects.filter(released_at__isnull=False)
    released.filter(requester_id__in=subject.requester_ids).update(requester=None)
    released.filter(ticket_id__in=subject.ticket_ids).update(ticket=None)


def _messages(subject: Subject) -> Q:
    return Q(ticket_id__in=subject.ticket_ids) | Q(pk__in=subject.foreign_message_ids)


def _attachment_files(subject: Subject) -> list[str]:
    """The files, and their protected previews (blurred and greyscale copies: the rows
    go with the attachments, the files must go too)."""
    attachments = Attachment.objects.filter(
        message__in=Message.objects.filter(_messages(subject)).values("pk"))  # fmt: skip
    names = [name for name in attachments.values_list("file", flat=True) if name]
    previews = Derivative.objects.filter(attachment__in=attachments.values("pk"))
    for blurred, grey in previews.values_list("file", "grey_file"):
        names += [name for name in (blurred, grey) if name]
    return names


def _raw_emails(subject: Subject, counts: Counts) -> None:
    """Raw inbound mail: what became their tickets or messages, and whatever they sent
    that did not (quarantined, ignored, duplicates), by the sender's address."""
    # Three deletes, each through its own index (an OR of them read the whole table).
    emails = InboundEmail.objects
    deleted = emails.filter(ticket_id__in=subject.ticket_ids).delete()[0]
    deleted += emails.filter(created_message_id__in=subject.foreign_message_ids).delete()[0]
    deleted += (emails.alias(sender=Lower("from_address"))
                .filter(sender__in=_emails(subject)).delete()[0])  # fmt: skip
    counts.add("raw_emails", deleted)


def _emails(subject: Subject) -> list[str]:
    records = Requester.objects.filter(pk__in=subject.requester_ids).exclude(email="")
    return sorted({email.lower() for email in records.values_list("email", flat=True)})


def _outbox(subject: Subject, counts: Counts) -> None:
    """Emails to them and webhooks about them, sent or waiting, with their delivery logs
    (the attempts go with their notification)."""
    about = Q(ticket_id__in=subject.ticket_ids) | Q(message_id__in=subject.foreign_message_ids)
    for address in _emails(subject):
        about |= Q(ticket__isnull=True, recipient__icontains=address)
    deleted, by_model = Notification.objects.filter(about).delete()
    counts.add("outbox", by_model.get("tickets.Notification", 0))
    counts.add("delivery_log", by_model.get("tickets.NotificationAttempt", 0))
    # Webhooks that name them without a ticket (none today; a new kind might).
    loose = Notification.objects.filter(ticket__isnull=True, message__isnull=True)
    named = Q(pk__in=[])
    for needle in subject.needles:
        named |= Q(payload__icontains=needle) | Q(body__icontains=needle)
    found = [row.pk for row in loose.filter(named).only("pk", "payload", "body")
             if names_anyone(f"{row.payload} {row.body}", subject.needles)]  # fmt: skip
    deleted, _by_model = Notification.objects.filter(pk__in=found).delete()
    counts.add("outbox", deleted)


def _exports(subject: Subject, counts: Counts) -> list[str]:
    """Their own data exports, and any other export file that names them (a ticket list
    a lead exported): the file goes and the job shows as expired."""
    own = ExportJob.objects.filter(source=SUBJECT_EXPORT_SOURCE,
                                   params__requester__in=subject.requester_ids)  # fmt: skip
    gone = list(own.exclude(file_name="").values_list("pk", "file_name"))
    others = ExportJob.objects.exclude(file_name="").exclude(source=SUBJECT_EXPORT_SOURCE)
    for job in others if subject.needles else []:
        if _file_names_anyone(job.file_name, subject.needles):
            gone.append((job.pk, job.file_name))
    # The job and its audit stay (who exported what, when); the file goes.
    ExportJob.objects.filter(pk__in=[pk for pk, _name in gone]).update(
        state=ExportJob.State.EXPIRED, file_name="", file_size=0)  # fmt: skip
    counts.add("exports", len(gone))
    return [name for _pk, name in gone]


def _file_names_anyone(name: str, needles: Iterable[str]) -> bool:
    try:
        with default_storage.open(name, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return False
    return names_anyone(text, needles)


def _delete(subject: Subject, counts: Counts) -> None:
    foreign = Message.objects.filter(pk__in=subject.foreign_message_ids)
    touched = sorted(set(foreign.values_list("ticket_id", flat=True)))
    counts.add("messages", foreign.delete()[1].get("tickets.Message", 0))
    reindex(touched)
    # Another person's ticket merged into one of theirs keeps its own history.
    Ticket.objects.filter(merged_into_id__in=subject.ticket_ids).exclude(
        pk__in=subject.ticket_ids).update(merged_into=None)  # fmt: skip
    Ticket.objects.filter(pk__in=subject.ticket_ids).update(merged_into=None)
    reviews = list(
        Review.objects.filter(ticket_id__in=subject.ticket_ids).values_list("pk", flat=True)
    )
    surveys = list(Survey.objects.filter(Q(ticket_id__in=subject.ticket_ids)
                                         | Q(requester_id__in=subject.requester_ids))
                   .values_list("pk", flat=True))  # fmt: skip
    QualityEvent.objects.filter(Q(review_id__in=reviews) | Q(survey_id__in=surveys)).delete()
    counts.add("messages", Message.objects.filter(ticket_id__in=subject.ticket_ids).count())
    deleted, by_model = Ticket.objects.filter(pk__in=subject.ticket_ids).delete()
    counts.add("timeline", by_model.get("tickets.Event", 0))
    counts.add("ratings", by_model.get("quality.Survey", 0))
    counts.add("reviews", by_model.get("quality.Review", 0))
    counts.add("escalations", by_model.get("escalations.Escalation", 0))
    Requester.objects.filter(pk__in=subject.requester_ids).delete()


def _anonymise(subject: Subject, counts: Counts) -> None:
    messages = Message.objects.filter(_messages(subject))
    counts.add("messages", messages.update(body=ERASED, body_html="", channel_message_id=""))
    Attachment.objects.filter(message__in=messages.values("pk")).delete()
    reindex(sorted(set(Message.objects.filter(pk__in=subject.foreign_message_ids)
                        .values_list("ticket_id", flat=True))))  # fmt: skip
    Ticket.objects.filter(pk__in=subject.ticket_ids).update(
        subject=ERASED, metadata={}, search_vector=None)  # fmt: skip
    escalations = Escalation.objects.filter(ticket_id__in=subject.ticket_ids)
    counts.add("escalations", escalations.update(summary=ERASED, outcome=""))
    EscalationNote.objects.filter(escalation__in=escalations.values("pk")).update(body=ERASED)
    surveys = Survey.objects.filter(Q(ticket_id__in=subject.ticket_ids)
                                    | Q(requester_id__in=subject.requester_ids))  # fmt: skip
    counts.add("ratings", surveys.update(comment="", follow_up_note=""))
    reviews = list(Review.objects.filter(ticket_id__in=subject.ticket_ids))
    for review in reviews:
        review.comment = ""
        review.values = {key: {**value, "comment": ""} if isinstance(value, dict) else value
                         for key, value in (review.values or {}).items()}  # fmt: skip
        review.save(update_fields=["comment", "values"])
    counts.add("reviews", len(reviews))
    review_ids = [review.pk for review in reviews]
    Dispute.objects.filter(review_id__in=review_ids).update(comment=ERASED, decision_note="")
    CoachingTask.objects.filter(review_id__in=review_ids).update(note=ERASED, done_note="")
    for event in QualityEvent.objects.filter(Q(review_id__in=review_ids)
                                             | Q(survey_id__in=surveys.values("pk"))):  # fmt: skip
        _scrub_event(event, subject.needles, free_text=True)
    for ticket_event in Event.objects.filter(ticket_id__in=subject.ticket_ids).iterator(2000):
        if _scrub_event(ticket_event, subject.needles, free_text=True):
            counts.add("timeline", 1)
    events.record_many(events.build(pk, None, TicketEventKind.PERSONAL_DATA_ERASED)
                       for pk in subject.ticket_ids)  # fmt: skip
    pseudonym = "erased-" + secrets.token_hex(8)
    for number, pk in enumerate(subject.requester_ids):
        Requester.objects.filter(pk=pk).update(
            email="", name="", external_id=f"{pseudonym}-{number}", region="",
            is_high_profile=False)  # fmt: skip


def _restrict(subject: Subject, counts: Counts) -> None:
    from privacy.restriction import restrict  # the ticket service layer it needs

    restrict(subject, counts)


def _scrub_other_timelines(subject: Subject, counts: Counts) -> None:
    """Other tickets' timelines that name them: merges and links with their tickets."""
    related = set(Message.objects.filter(pk__in=subject.foreign_message_ids)
                  .values_list("ticket_id", flat=True))  # fmt: skip
    if not related:
        return
    for event in Event.objects.filter(ticket_id__in=related).exclude(
            ticket_id__in=subject.ticket_ids):  # fmt: skip
        if _scrub_event(event, subject.needles, free_text=False):
            counts.add("timeline", 1)


def _scrub_event(event: Event | QualityEvent, needles: list[str], *, free_text: bool) -> bool:
    before = _scrubbed(event.before, needles, free_text)
    after = _scrubbed(event.after, needles, free_text)
    if before == event.before and after == event.after:
        return False
    type(event).objects.filter(pk=event.pk).update(before=before, after=after)
    return True


def _scrubbed(value: object, needles: list[str], free_text: bool, key: str = "") -> object:
    if isinstance(value, dict):
        return {k: _scrubbed(v, needles, free_text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, needles, free_text, key) for v in value]
    if isinstance(value, str):
        if free_text and key in FREE_TEXT_KEYS and value:
            return ERASED
        if names_anyone(value, needles):
            return ERASED
    return value


def reindex(ticket_ids: list[int]) -> None:
    """Rebuild the search text of tickets that lost or changed messages: the subject and
    every message left, in the ticket's language."""
    if not ticket_ids:
        return
    from tickets.search import config_for

    for ticket in Ticket.objects.filter(pk__in=ticket_ids).only("pk", "subject", "language"):
        bodies = Message.objects.filter(ticket_id=ticket.pk).values_list("body", flat=True)
        text = "\n".join([ticket.subject, *bodies])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticket SET search_vector = to_tsvector(%s::regconfig, %s) "
                "WHERE id = %s", [config_for(ticket.language), text, ticket.pk])  # fmt: skip


def delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("An erased file could not be removed from storage", exc_info=True)


def describe(counts: dict[str, int]) -> str:
    """The counts as JSON for the audit (numbers only)."""
    return json.dumps({key: int(value) for key, value in sorted(counts.items())})
