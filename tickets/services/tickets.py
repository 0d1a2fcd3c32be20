"""Every write to tickets: one function per state change, each audited in its transaction.

Functions take keyword-only arguments including the ``actor`` (None for the
system), lock the ticket row, check the move is allowed (raising
``TicketError`` if not), return early when nothing changes, save only the
fields they change, append an ``Event`` and schedule side effects through the
outbox (``Notification`` rows), all in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import nh3
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import bidi, config_cache
from tickets import (
    attachments,
    delivery,
    events,
    hooks,
    next_rules,
    outbox,
    placement,
    selectors,
)
from tickets.events import EventKind
from tickets.models import (
    WORKABLE_STATUSES,
    Attachment,
    Channel,
    Macro,
    Message,
    Priority,
    Queue,
    Requester,
    RequesterQuerySet,
    Status,
    Ticket,
    TicketLink,
    urgency,
)
from tickets.search import config_for
from tickets.services.common import TicketConflict, TicketError, _locked
from tickets.sla import services as sla

MAX_BODY_CHARS = 100_000
MAX_TAGS = 30


# Which status may follow which. Requester replies reopen separately.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED},
    Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.SOLVED},
    Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.SOLVED},
    Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.SOLVED},
    Status.SOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: set(),
}


def _check_actor_may_work(actor: User | None, ticket: Ticket) -> None:
    if actor is not None and not selectors.can_work_queue(actor, ticket.queue_id):
        raise TicketError(_("You cannot work tickets in this queue."))


def _clean_text(text: str, *, field: str, max_chars: int) -> str:
    if "\x00" in text:
        raise TicketError(_("%(field)s contains a NUL character.") % {"field": field})
    text = text.strip()
    if len(text) > max_chars:
        raise TicketError(
            _("%(field)s is too long (at most %(max)d characters).")
            % {"field": field, "max": max_chars}
        )
    return text


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        tag = _clean_text(str(tag), field=_("Tag"), max_chars=64).lower().replace(" ", "-")
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise TicketError(_("A ticket has at most %(max)d tags.") % {"max": MAX_TAGS})
    return cleaned


def sanitize_html(html: str) -> str:
    """HTML from outside (email) made safe to show: nh3 (ammonia), never regexes."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow", url_schemes={"http", "https",
                     "mailto"})  # fmt: skip


def _save_indexed(ticket: Ticket, fields: list[str], text: str) -> None:
    """Save ``fields`` and add text to the ticket's search document (stemmed in its
    language) in one UPDATE: the document has an index, so each UPDATE of it writes a
    new version of the row and an entry in each of its indexes; one instead of two."""
    appended = RawSQL("COALESCE(search_vector, ''::tsvector) || to_tsvector(%s::regconfig, %s)",
                      [config_for(ticket.language), text])  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(
        search_vector=appended, **{field: getattr(ticket, field) for field in fields}
    )


def _queue_requester_email(ticket: Ticket, message: Message, *, kind: str,
                           attached: bool) -> None:  # fmt: skip
    """Write the outbox row for an email to the requester (delivered after commit),
    rendered in the ticket's language, from the queue's address. ``attached=False``: the
    caller attached no files, so none is looked for."""
    requester = ticket.requester
    if not requester.email:
        return
    left_out = ([item.filename for item in outbox.email_attachments(message.pk)[1]]
                if attached else [])  # fmt: skip
    outbox.queue_email(
        kind=kind, key=[message.pk], to=requester.email, template="reply",
        context={"ticket": ticket, "body": message.body, "left_out": left_out},
        language=ticket.language or requester.language,
        from_email=selectors.queue_sender(ticket.queue_id), ticket=ticket, message=message,
    )  # fmt: skip


# ---------------------------------------------------------------- requesters


def _requester_named(requesters: RequesterQuerySet, *, email: str, external_id: str,
                     provisional: bool) -> Requester | None:  # fmt: skip
    """The requester among ``requesters`` with this external id, else this email: a
    canonical record first, then (``provisional``) a provisional identity. Each lookup is
    its own indexed query (the unique indexes hold canonical records only)."""
    canonical = requesters.filter(provisional_of__isnull=True)
    provisionals = requesters.filter(provisional_of__isnull=False).order_by("id")
    if external_id:
        found = canonical.filter(external_id=external_id).first()
        if found is None and provisional:
            found = provisionals.filter(external_id=external_id).first()
        if found is not None:
            return found
    if email:
        found = canonical.with_email(email).first()
        if found is None and provisional:
            found = provisionals.alias(email_lower=Lower("email")).filter(
                email_lower=email).first()  # fmt: skip
        return found
    return None


# The system's and admins' get-or-create in one statement: the canonical requester with
# this external id (first) or email, else a new one. Each condition is written as its
# partial unique index is, so the index serves it. Nothing comes back when another
# transaction inserted the same person meanwhile (ON CONFLICT): look again.
_GET_OR_CREATE_SQL = """
WITH found AS (
    SELECT * FROM tickets_requester
     WHERE provisional_of_id IS NULL
       AND ((%(external_id)s <> '' AND external_id <> '' AND external_id = %(external_id)s)
         OR (%(email)s <> '' AND email <> '' AND lower(email) = %(email)s))
     ORDER BY (external_id = %(external_id)s) DESC
     LIMIT 1
), made AS (
    INSERT INTO tickets_requester (email, name, external_id, language, region,
                                   is_high_profile, created_at, provisional_of_id)
    SELECT %(email)s, %(name)s, %(external_id)s, %(language)s, %(region)s, FALSE,
           %(now)s, NULL
     WHERE NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT DO NOTHING
    RETURNING *
)
SELECT * FROM found UNION ALL SELECT * FROM made
"""


def requester_get_or_create(
    *, email: str = "", external_id: str = "", name: str = "", language: str = "",
    region: str = "", actor: User | None = None,
) -> Requester:  # fmt: skip
    """The requester with this external id (else email), or a new one.

    The system (email, help center, in-app: ``actor`` None) and admins match canonical
    records, in one statement. Anyone else matches only requesters they may already see
    (``visible_requesters``, canonical or provisional); when what they sent names a
    canonical requester they may not see, they get a provisional identity holding
    exactly what they sent, linked to that record for an admin (``provisional_of``) and
    never high-profile. Either way they see back only what they sent, and cannot tell
    whether the person existed.
    """
    email = (email or "").strip().lower()
    external_id = (external_id or "").strip()
    if not email and not external_id:
        raise TicketError(_("A requester needs an email address or an external user id."))
    for value, label in ((email, _("Email")), (external_id, _("External user id")),
                         (name, _("Name"))):  # fmt: skip
        _clean_text(value, field=label, max_chars=254)
    trusted = actor is None or (actor.is_active and actor.is_admin)
    fields = {"email": email, "external_id": external_id, "name": bidi.clean_name(name.strip()),
              "language": language, "region": region}  # fmt: skip
    if trusted or actor is None:
        with transaction.atomic(savepoint=False):
            for _attempt in range(2):
                rows = list(Requester.objects.raw(_GET_OR_CREATE_SQL,
                                                  {**fields, "now": timezone.now()}))  # fmt: skip
                if rows:
                    return rows[0]
        raise TicketError(_("This requester could not be saved; please try again."))
    return _requester_for_staff(fields, actor)


@transaction.atomic
def _requester_for_staff(fields: dict[str, str], actor: User) -> Requester:
    email, external_id = fields["email"], fields["external_id"]
    seen = selectors.visible_requesters(actor)
    for _attempt in range(2):
        found = _requester_named(seen, email=email, external_id=external_id, provisional=True)
        if found is not None:
            return found
        hidden = _requester_named(Requester.objects.all(), email=email,
                                  external_id=external_id, provisional=False)  # fmt: skip
        if hidden is not None:
            return Requester.objects.create(**fields, provisional_of=hidden)
        try:
            with transaction.atomic():
                return Requester.objects.create(**fields)
        except IntegrityError:
            continue  # created by someone else meanwhile: look again
    raise TicketError(_("This requester could not be saved; please try again."))


# ------------------------------------------------------------------ tickets


def ticket_create(
    *,
    actor: User | None,
    requester: Requester,
    queue: Queue,
    subject: str,
    body: str,
    channel: str = Channel.WEB,
    language: str = "",
    category: str = "",
    tags: Iterable[str] = (),
    priority: int | None = None,
    body_html: str = "",
    channel_message_id: str = "",
    metadata: dict[str, Any] | None = None,
) -> Ticket:
    """A new ticket with the requester's first message.

    Intake's hot path, in four INSERTs: the ticket (with its search text and SLA
    columns), its message, its SLA clocks, and its audit events. Everything is checked
    before the transaction starts, so a refusal leaves a caller's transaction usable
    and no savepoint is needed."""
    if actor is not None and not selectors.can_work_queue(actor, queue.pk):
        raise TicketError(_("You cannot create tickets in this queue."))
    subject = bidi.clean_subject(_clean_text(subject, field=_("Subject"), max_chars=250))
    body = _clean_text(body, field=_("Description"), max_chars=MAX_BODY_CHARS)
    if not subject:
        raise TicketError(_("A ticket needs a subject."))
    if priority is not None and priority not in Priority.values:
        raise TicketError(_("Unknown priority."))
    if channel not in Channel.values:
        raise TicketError(_("Unknown channel."))
    language = language or requester.language or ""
    placed = placement.place(queue.pk, category[:64])
    if placed is not None:
        # An app above requires another queue (child safety to the cleared one): the
        # ticket goes there from its first moment, whoever sent it and wherever.
        queue = Queue.objects.get(pk=placed)
    now = timezone.now()
    ticket = Ticket(
        subject=subject,
        requester=requester,
        queue=queue,
        channel=channel,
        language=language,
        category=category[:64],
        tags=_clean_tags(tags),
        priority=priority or queue.default_priority,
        created_at=now,
        updated_at=now,
        metadata=metadata or {},
        search_vector=SearchVector(Value(f"{subject}\n{body}"), config=config_for(language)),
    )
    with transaction.atomic(savepoint=False), config_cache.read_only_request():
        policy, clocks = sla.sla_plan_new(ticket, now)
        (ticket.sla_due_at, ticket.sla_warn_at, ticket.sla_paused,
         ticket.sla_breached) = sla.sla_summary(clocks)  # fmt: skip
        ticket.save(force_insert=True)
        # The search text was computed by the database; the instance does not hold it.
        del ticket.search_vector
        first = Message.objects.create(
            ticket=ticket,
            kind=Message.Kind.PUBLIC,
            author_type=Message.Author.AGENT if actor else Message.Author.REQUESTER,
            author=actor,
            body=body,
            body_html=sanitize_html(body_html) if body_html else "",
            channel=channel,
            channel_message_id=channel_message_id[:255],
            created_at=now,
        )
        created = events.build(ticket, actor, EventKind.CREATED, at=now, after={
            "queue": queue.slug, "priority": ticket.priority, "channel": channel,
            "requester": requester.pk,
        })  # fmt: skip
        events.record_many([created, *sla.sla_save_new(ticket=ticket, actor=actor,
                                                        policy=policy, clocks=clocks)])  # fmt: skip
        # The new ticket's messages are known: ``ticket.messages.all()`` reads none.
        known = Message.objects.filter(ticket=ticket)
        known._result_cache = [first]
        ticket._prefetched_objects_cache = {"messages": known}  # type: ignore[attr-defined]
        hooks.ticket_created.send(hooks.TicketCreated(ticket=ticket, actor=actor))
    return ticket


@transaction.atomic
def ticket_change_status(*, actor: User | None, ticket: Ticket, status: str) -> Ticket:
    return _change_status(actor=actor, ticket=_locked(ticket), status=status)


def _change_status(*, actor: User | None, ticket: Ticket, status: str) -> Ticket:
    """``ticket_change_status`` on a ticket this transaction has locked already (a reply
    that also sets a status): no second lock, no savepoint."""
    _check_actor_may_work(actor, ticket)
    if status not in Status.values:
        raise TicketError(_("Unknown status."))
    old = ticket.status
    if old == status:
        return ticket
    if status not in TRANSITIONS[old]:
        raise TicketConflict(
            _("A %(old)s ticket cannot become %(new)s.")
            % {"old": Status(old).label, "new": Status(status).label}
        )
    now = timezone.now()
    ticket.status = status
    ticket.updated_at = now
    fields = ["status", "updated_at"]
    if status == Status.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif old == Status.SOLVED:
        ticket.solved_at = None
        fields.append("solved_at")
    ticket.save(update_fields=fields)
    events.record(ticket, actor, EventKind.STATUS_CHANGED, {"status": old}, {"status": status})
    sla.sla_status_changed(ticket=ticket, actor=actor, old=old, new=status, now=now)
    hooks.status_changed.send(hooks.StatusChanged(ticket=ticket, actor=actor, old=old, new=status))
    return ticket


@transaction.atomic
def ticket_assign(*, actor: User | None, ticket: Ticket, assignee: User | None) -> Ticket:
    return _assign(actor=actor, ticket=_locked(ticket), assignee=assignee)


def _assign(*, actor: User | None, ticket: Ticket, assignee: User | None) -> Ticket:
    """``ticket_assign`` on a ticket this transaction has locked already."""
    _check_actor_may_work(actor, ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    if ticket.status == Status.CLOSED:
        raise TicketConflict(_("A closed ticket cannot be reassigned."))
    if assignee is not None:
        if not assignee.is_active:
            raise TicketError(_("%(name)s is not active.") % {"name": assignee})
        selectors.forget_visible_queues(assignee)
        if not selectors.can_work_queue(assignee, ticket.queue_id):
            raise TicketError(
                _("%(name)s cannot work tickets in %(queue)s.")
                % {"name": assignee, "queue": ticket.queue}
            )
    old = ticket.assignee
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    fields = ["assignee", "updated_at"]
    opened = assignee is not None and ticket.status == Status.NEW
    if opened:
        ticket.status = Status.OPEN
        fields.append("status")
        events.record(
            ticket, actor, EventKind.STATUS_CHANGED, {"status": Status.NEW}, {"status": Status.OPEN}
        )
    ticket.save(update_fields=fields)
    events.record(ticket, actor, EventKind.ASSIGNED,
           {"assignee": old.pk if old else None, "assignee_name": str(old) if old else None},
           {"assignee": assignee.pk if assignee else None,
            "assignee_name": str(assignee) if assignee else None})  # fmt: skip
    if opened:
        hooks.status_changed.send(hooks.StatusChanged(ticket=ticket, actor=actor,
                                                      old=Status.NEW, new=Status.OPEN))  # fmt: skip
    hooks.assigned.send(hooks.Assigned(ticket=ticket, actor=actor, old=old.pk if old else None,
                                       new=assignee.pk if assignee else None))  # fmt: skip
    return ticket


@transaction.atomic
def ticket_set_priority(*, actor: User | None, ticket: Ticket, priority: int) -> Ticket:
    ticket = _locked(ticket)
    _check_actor_may_work(actor, ticket)
    if priority not in Priority.values:
        raise TicketError(_("Unknown priority."))
    old = ticket.priority
    if old == priority:
        return ticket
    ticket.priority = priority
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["priority", "updated_at"])
    events.record(
        ticket, actor, EventKind.PRIORITY_CHANGED, {"priority": old}, {"priority": priority}
    )
    sla.sla_retarget(ticket=ticket, actor=actor, now=ticket.updated_at, reason="priority changed")
    return ticket


@transaction.atomic
def ticket_move_queue(*, actor: User | None, ticket: Ticket, queue: Queue) -> Ticket:
    ticket = _locked(ticket)
    _check_actor_may_work(actor, ticket)
    if ticket.queue_id == queue.pk:
        return ticket
    if actor is not None and not selectors.can_work_queue(actor, queue.pk):
        raise TicketError(_("You cannot move tickets into %(queue)s.") % {"queue": queue})
    old = ticket.queue
    ticket.queue = queue
    ticket.updated_at = timezone.now()
    fields = ["queue", "updated_at"]
    # The assignee keeps the ticket only if they may work the new queue.
    if ticket.assignee is not None:
        selectors.forget_visible_queues(ticket.assignee)
        if not selectors.can_work_queue(ticket.assignee, queue.pk):
            events.record(
                ticket,
                actor,
                EventKind.ASSIGNED,
                {"assignee": ticket.assignee_id},
                {"assignee": None},
            )
            unassigned = ticket.assignee_id
            ticket.assignee = None
            fields.append("assignee")
    ticket.save(update_fields=fields)
    events.record(
        ticket, actor, EventKind.QUEUE_CHANGED, {"queue": old.slug}, {"queue": queue.slug}
    )
    if "assignee" in fields:
        hooks.assigned.send(hooks.Assigned(ticket=ticket, actor=actor, old=unassigned, new=None))
    sla.sla_retarget(ticket=ticket, actor=actor, now=ticket.updated_at, reason="queue changed")
    hooks.queue_changed.send(hooks.QueueChanged(ticket=ticket, actor=actor, old=old.pk,
                                                new=queue.pk))  # fmt: skip
    return ticket


@transaction.atomic
def ticket_set_tags(*, actor: User | None, ticket: Ticket, tags: Iterable[str]) -> Ticket:
    ticket = _locked(ticket)
    _check_actor_may_work(actor, ticket)
    new = _clean_tags(tags)
    old = list(ticket.tags)
    if new == old:
        return ticket
    ticket.tags = new
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["tags", "updated_at"])
    events.record(ticket, actor, EventKind.TAGS_CHANGED, {"tags": old}, {"tags": new})
    added = frozenset(new) - set(old)
    if added:
        hooks.tags_added.send(hooks.TagsAdded(ticket=ticket, actor=actor, tags=added))
    return ticket


def ticket_add_tags(*, actor: User | None, ticket: Ticket, tags: Iterable[str]) -> Ticket:
    return ticket_set_tags(actor=actor, ticket=ticket, tags=[*ticket.tags, *tags])


# Marks a property the caller leaves as it is (None is a value: "nobody" for the assignee).
_UNSET: Any = object()


def ticket_update_properties(
    *, actor: User, ticket: Ticket, status: str = _UNSET, priority: int = _UNSET,
    queue: Queue = _UNSET, assignee: User | None = _UNSET, tags: Iterable[str] = _UNSET,
) -> Ticket:  # fmt: skip
    """Save the ticket's properties form (HTML and API alike): all of it or none of it.

    The order matters: the queue first, because moving can unassign someone who may not
    work the new queue and the assignee is checked against the queue the ticket ends in;
    the status last, so a status that needs an assignee sees the new one. Each step is its
    own service (they check the actor may work the ticket, and ``ticket_move_queue`` that
    the actor may work the target queue); a failure anywhere rolls back the steps before it.
    """
    with transaction.atomic():
        if queue is not _UNSET:
            ticket = ticket_move_queue(actor=actor, ticket=ticket, queue=queue)
        if assignee is not _UNSET:
            # Someone else must be among the people this actor may assign in the queue;
            # taking the ticket oneself needs only that one may work it (ticket_assign).
            if (assignee is not None and assignee.pk != actor.pk
                    and not selectors.assignable_agents(actor, ticket.queue)
                    .filter(pk=assignee.pk).exists()):  # fmt: skip
                raise TicketError(_("That person cannot work this queue."))
            ticket = ticket_assign(actor=actor, ticket=ticket, assignee=assignee)
        if priority is not _UNSET:
            ticket = ticket_set_priority(actor=actor, ticket=ticket, priority=priority)
        if tags is not _UNSET:
            ticket = ticket_set_tags(actor=actor, ticket=ticket, tags=tags)
        if status is not _UNSET:
            ticket = ticket_change_status(actor=actor, ticket=ticket, status=status)
    return ticket


# ----------------------------------------------------------------- messages


def message_attach(*, message: Message, files: Iterable) -> None:
    """Attach uploads to a message (an intake channel of another app: safety's reports),
    each checked (size, count, a type sniffed from the bytes); TicketError otherwise."""
    _attach(message, files)


def _attach(message: Message, files: Iterable) -> None:
    files = list(files)
    if len(files) > attachments.MAX_FILES_PER_MESSAGE:
        raise TicketError(_("At most %(n)d files per message.") % {
            "n": attachments.MAX_FILES_PER_MESSAGE})  # fmt: skip
    for upload in files:
        try:
            name, content_type = attachments.check(upload)
        except attachments.AttachmentError as exc:
            raise TicketError(str(exc)) from exc
        item = Attachment(message=message, filename=name, content_type=content_type,
                          size=upload.size)  # fmt: skip
        item.file.save(name, upload, save=False)
        item.save()


@transaction.atomic
def ticket_reply(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    status: str | None = None,
    files: Iterable = (),
    channel_message_id: str = "",
) -> Message:
    """An agent's public reply (queued to the requester through the outbox, unless an app
    delivers it on the ticket's own channel: ``tickets.delivery``) or internal note."""
    return _reply(actor=actor, ticket=ticket, body=body, internal=internal, status=status,
                  files=files, channel_message_id=channel_message_id)  # fmt: skip


def _reply(*, actor: User, ticket: Ticket, body: str, internal: bool, status: str | None,
           files: Iterable, channel_message_id: str = "") -> Message:  # fmt: skip
    """``ticket_reply`` inside a transaction the caller opened (no savepoint of its own)."""
    ticket = _locked(ticket)
    _check_actor_may_work(actor, ticket)
    body = _clean_text(body, field=_("Message"), max_chars=MAX_BODY_CHARS)
    if not body:
        raise TicketError(_("The message is empty."))
    if ticket.status == Status.CLOSED:
        raise TicketConflict(_("This ticket is closed; replies go on a new ticket."))
    now = timezone.now()
    live_channel = None if internal else delivery.live_channel(ticket)
    if live_channel:
        channel = live_channel
    else:
        channel = Channel.EMAIL if not internal and ticket.requester.email else Channel.WEB
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.INTERNAL if internal else Message.Kind.PUBLIC,
        author_type=Message.Author.AGENT,
        author=actor,
        body=body,
        channel=channel,
        channel_message_id=channel_message_id[:255],
        created_at=now,
    )
    files = list(files)
    _attach(message, files)
    fields = ["updated_at"]
    ticket.updated_at = now
    if not internal:
        if ticket.first_reply_at is None:
            ticket.first_reply_at = now
            fields.append("first_reply_at")
        if not live_channel:
            _queue_requester_email(ticket, message, kind="requester_reply", attached=bool(files))
        sla.sla_agent_replied(ticket=ticket, actor=actor, now=now)
    _save_indexed(ticket, fields, body)
    events.record(
        ticket,
        actor,
        EventKind.NOTE_ADDED if internal else EventKind.REPLY_SENT,
        after={"message": message.pk},
    )
    hooks.message_added.send(hooks.MessageAdded(ticket=ticket, message=message, actor=actor))
    if status and status != ticket.status:
        _change_status(actor=actor, ticket=ticket, status=status)
    elif not internal and ticket.status == Status.NEW:
        _change_status(actor=actor, ticket=ticket, status=Status.OPEN)
    return message


@transaction.atomic
def ticket_requester_reply(
    *, ticket: Ticket, body: str, body_html: str = "", channel: str = Channel.EMAIL,
    channel_message_id: str = "",
) -> Message:  # fmt: skip
    """The requester wrote again: the message is added and the ticket reopens."""
    ticket = _locked(ticket)
    body = _clean_text(body, field=_("Message"), max_chars=MAX_BODY_CHARS)
    if ticket.status == Status.CLOSED:
        raise TicketConflict(_("This ticket is closed; replies go on a new ticket."))
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, kind=Message.Kind.PUBLIC, author_type=Message.Author.REQUESTER,
        body=body, body_html=sanitize_html(body_html) if body_html else "", channel=channel,
        channel_message_id=channel_message_id[:255], created_at=now,
    )  # fmt: skip
    ticket.updated_at = now
    _save_indexed(ticket, ["updated_at"], body)
    events.record(ticket, None, EventKind.REQUESTER_REPLIED, after={"message": message.pk})
    hooks.message_added.send(hooks.MessageAdded(ticket=ticket, message=message, actor=None))
    if ticket.status in (Status.PENDING, Status.ON_HOLD, Status.SOLVED):
        ticket = ticket_change_status(actor=None, ticket=ticket, status=Status.OPEN)
    sla.sla_requester_wrote(ticket=ticket, now=now)
    return message


def macro_render(macro: Macro, *, ticket: Ticket, agent: User) -> str:
    """The macro's text with its placeholders filled in. Only these four names exist."""
    values = {
        "requester_name": ticket.requester.name or ticket.requester.email or _("there"),
        "agent_name": agent.get_short_name(),
        "ticket_reference": ticket.reference,
        "ticket_subject": ticket.subject,
    }
    text = macro.body
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@transaction.atomic
def macro_apply(
    *, actor: User, ticket: Ticket, macro: Macro, body: str | None = None, internal: bool = False,
    files: Iterable = (),
) -> Message:  # fmt: skip
    """Send the macro's reply (or the agent's edit of it) and apply its actions."""
    if not macro.is_active:
        raise TicketError(_("This macro is no longer active."))
    text = body if body is not None else macro_render(macro, ticket=ticket, agent=actor)
    message = ticket_reply(actor=actor, ticket=ticket, body=text, internal=internal, files=files)
    if macro.set_priority:
        ticket_set_priority(actor=actor, ticket=ticket, priority=macro.set_priority)
    if macro.add_tags:
        ticket_add_tags(actor=actor, ticket=_locked(ticket), tags=macro.add_tags)
    if macro.set_queue is not None:
        ticket_move_queue(actor=actor, ticket=ticket, queue=macro.set_queue)
    if macro.set_status:
        ticket_change_status(actor=actor, ticket=ticket, status=macro.set_status)
    events.record(
        ticket,
        actor,
        EventKind.MACRO_APPLIED,
        after={"macro": macro.name, "language": macro.language},
    )
    return message


@transaction.atomic
def ticket_respond(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    status: str | None = None,
    macro: Macro | None = None,
    files: Iterable = (),
) -> Message:
    """What the composer sends: a reply or note, optionally from a macro, then a status."""
    if macro is None:
        return _reply(actor=actor, ticket=ticket, body=body, internal=internal, status=status,
                      files=files)  # fmt: skip
    message = macro_apply(actor=actor, ticket=ticket, macro=macro, body=body, internal=internal,
                          files=files)  # fmt: skip
    if status:
        ticket_change_status(actor=actor, ticket=ticket, status=status)
    return message


# ------------------------------------------------------- merge and links


def _requester_label(requester: Requester) -> str:
    if requester.name and requester.email:
        return f"{requester.name} <{requester.email}>"
    return str(requester)


@transaction.atomic
def ticket_merge(
    *, actor: User, source: Ticket, target: Ticket, confirm_different_requesters: bool = False
) -> Ticket:
    """Fold a duplicate into another ticket: its messages move over, it closes.

    Tickets of two different requesters merge only when the caller confirms it; the
    messages that move then keep the requester they were from or to
    (``origin_requester``), so neither person's page or mail ever shows the other's.
    """
    if source.pk == target.pk:
        raise TicketError(_("A ticket cannot be merged into itself."))
    # Lock both rows in id order so two merges cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .select_related("queue", "requester")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    _check_actor_may_work(actor, source)
    _check_actor_may_work(actor, target)
    if source.status == Status.CLOSED or source.merged_into_id:
        raise TicketConflict(_("%(ref)s is already closed.") % {"ref": source.reference})
    if target.status == Status.CLOSED:
        raise TicketConflict(_("%(ref)s is closed; merge into an open ticket.") % {
            "ref": target.reference})  # fmt: skip
    different = source.requester_id != target.requester_id
    if different and not confirm_different_requesters:
        raise TicketError(
            _("%(source_ref)s is from %(source)s and %(target_ref)s is from %(target)s: confirm "
              "that you want to merge the tickets of two different requesters.")
            % {"source_ref": source.reference, "source": _requester_label(source.requester),
               "target_ref": target.reference, "target": _requester_label(target.requester)}
        )  # fmt: skip
    if different:
        # An origin set by an earlier merge is kept: it names the person it really was.
        Message.objects.filter(ticket=source, origin_requester__isnull=True).update(
            origin_requester=source.requester
        )
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET search_vector = COALESCE(search_vector, ''::tsvector) "
            "|| COALESCE((SELECT search_vector FROM tickets_ticket WHERE id = %s), "
            "''::tsvector) WHERE id = %s",
            [source.pk, target.pk],
        )
    source.merged_into = target
    source.status = Status.CLOSED
    source.closed_at = now
    source.updated_at = now
    source.save(update_fields=["merged_into", "status", "closed_at", "updated_at"])
    sla.sla_stop_all(ticket=source, actor=actor, now=now)
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    Message.objects.create(
        ticket=target, kind=Message.Kind.INTERNAL, author_type=Message.Author.SYSTEM,
        author=actor, created_at=now,
        body=_("%(ref)s (%(subject)s) was merged into this ticket by %(name)s.") % {
            "ref": source.reference, "subject": source.subject, "name": actor},
    )  # fmt: skip
    events.record(source, actor, EventKind.MERGED_INTO, {"status": Status.CLOSED},
           {"into": target.reference, "messages": moved})  # fmt: skip
    events.record(
        target, actor, EventKind.MERGED_FROM, after={"from": source.reference, "messages": moved}
    )
    hooks.merged.send(hooks.Merged(source=source, target=target, actor=actor))
    return target


@transaction.atomic
def ticket_link(*, actor: User, ticket: Ticket, other: Ticket) -> TicketLink:
    if ticket.pk == other.pk:
        raise TicketError(_("A ticket cannot be linked to itself."))
    _check_actor_may_work(actor, ticket)
    _check_actor_may_work(actor, other)
    existing = TicketLink.objects.filter(from_ticket=ticket, to_ticket=other).first() or (
        TicketLink.objects.filter(from_ticket=other, to_ticket=ticket).first()
    )
    if existing:
        return existing
    link = TicketLink.objects.create(from_ticket=ticket, to_ticket=other, created_by=actor)
    events.record(ticket, actor, EventKind.LINKED, after={"ticket": other.reference})
    events.record(other, actor, EventKind.LINKED, after={"ticket": ticket.reference})
    return link


# ------------------------------------------------------------ next ticket


@transaction.atomic
def ticket_claim_next(*, agent: User) -> Ticket | None:
    """Assign the agent the most urgent unassigned ticket they may work and speak.

    ``FOR UPDATE SKIP LOCKED``: agents pressing "next" at the same moment each
    lock a different row instead of queueing on the same one. The apps' rules
    (tickets.next_rules) may skip queues for this agent, or ask that some be taken only
    when nothing else waits (a second query, then, when the first finds nothing).
    """
    queue_ids = selectors.visible_queue_ids(agent)
    if not queue_ids:
        return None
    rule = next_rules.for_agent(agent)
    if rule.refuse:
        raise TicketConflict(rule.refuse)
    if rule.skip:
        queue_ids = [pk for pk in queue_ids if pk not in rule.skip]
    candidates = Ticket.objects.filter(assignee__isnull=True, status__in=WORKABLE_STATUSES)
    if agent.languages:
        candidates = candidates.filter(language__in=[*agent.languages, ""])
    if rule.skip_categories:
        candidates = candidates.exclude(category__in=rule.skip_categories)
    if rule.skip_channels:
        candidates = candidates.exclude(channel__in=rule.skip_channels)
    ticket = None
    if rule.has_later:
        first = [pk for pk in queue_ids if pk not in rule.later]
        if rule.later_categories:
            ticket = _most_urgent(candidates.exclude(category__in=rule.later_categories), first)
        else:
            ticket = _most_urgent(candidates, first) if first else None
    if ticket is None:
        ticket = _most_urgent(candidates, queue_ids) if queue_ids else None
    if ticket is None:
        return None
    return _assign(actor=agent, ticket=_locked(ticket), assignee=agent)


def _most_urgent(candidates: QuerySet[Ticket], queue_ids: list[int]) -> Ticket | None:
    return (
        candidates.filter(queue_id__in=queue_ids)
        .order_by(urgency().asc(), "priority", "created_at", "id")
        .select_for_update(skip_locked=True, of=("self",))
        .only("id", "queue_id", "status", "assignee_id")
        .first()
    )


# -------------------------------------------------------------- timers


def tickets_close_quiet_solved(*, quiet_for: timedelta, batch: int = 500,
                               budget_seconds: float = 120.0) -> int:  # fmt: skip
    """Close tickets solved longer ago than ``quiet_for``; safe to run twice or in parallel.
    Stops after ``budget_seconds`` (well inside the task's time limit); the next run goes
    on from there, so a large backlog drains over several runs."""
    cutoff = timezone.now() - quiet_for
    started = time.monotonic()
    closed = 0
    while time.monotonic() - started < budget_seconds:
        with transaction.atomic():
            due = list(
                Ticket.objects.filter(status=Status.SOLVED, solved_at__lt=cutoff)
                .select_for_update(skip_locked=True)
                .only("id")[:batch]
            )
            for ticket in due:
                ticket_change_status(actor=None, ticket=ticket, status=Status.CLOSED)
            closed += len(due)
        if len(due) < batch:
            break
    return closed
