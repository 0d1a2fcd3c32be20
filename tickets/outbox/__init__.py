"""The outbox: every email and webhook we send is a ``Notification`` row, written in the
transaction that causes it and delivered by a worker after that transaction commits.

Writing (the one way every app queues mail and webhooks)
---------------------------------------------------------
- ``queue_email(kind=, key=, to=, template=, context=, language=, ...)`` renders
  ``templates/email/<template>.*`` in ``language`` (``mail.render``), writes the row and
  hands it to a worker on commit. ``automatic`` is the RFC 3834 Auto-Submitted value for
  mail no person wrote ("auto-replied" for a receipt, "auto-generated" for a
  notification); ``from_email`` the sender ("" = the default); ``ticket`` and ``message``
  tie the mail to its thread (a message's files go with it); ``files`` are small text
  files made for the mail (``TextFile``: a report's CSV), kept in the row.
- ``queue_webhook(kind=, key=, url=, payload=, ...)`` writes a signed POST of ``payload``.
  ``url`` is shown as the recipient; the delivery reads the endpoint (URL and secret) from
  ``vendor`` when given, else from the resolver registered for ``kind``
  (``register_webhook_endpoint``).
- ``Batch`` for many at once (the SLA sweep, a page, an SOP publish): ``batch.email(...)``
  and ``batch.webhook(...)`` take the same arguments, ``batch.queue()`` writes every row in
  one INSERT and hands them all over in one on-commit callback.
- ``now`` (optional everywhere) is when the row is written and first due; it defaults
  to the current time.

The idempotency key is derived here, one way: ``sha256("<kind>:<part>:<part>…")`` of the
``key`` parts the caller passes, the things that make the notification once-only (the
message; the ticket; the clock and the person; the page's attempt, person and channel).
Parts are stable ids, never times or random tokens, so work that is retried queues the
same key. Receivers drop a repeated key. Within a batch a second row with the same key is
dropped unrendered (a person in two roles gets one mail); across transactions the
unique index refuses it.

What a caller must do: call these inside the transaction that makes the change, and pass
the context already loaded (rendering happens now, so the row holds exactly what goes
out; a template that follows an unloaded relation costs a query per row). What it must
not do: any I/O for the notification before commit (no sending, posting, ``.delay()`` or
``.apply_async()``), render mail itself, or build or save a ``Notification`` by hand. If
the transaction rolls back, nothing was written and nothing is handed over.

Delivering
----------
Every row is sent after its transaction commits, retried with exponential backoff and
jitter, and marked dead after the last attempt (admins can retry it). Each try is
logged as a ``NotificationAttempt``.

After a commit one task is woken (``wake_delivery``): it claims the queued rows that are
due, a batch at a time, and records each second's outcomes together. The sweep's
retries go one task per row (``notification_deliver``).

Safe to run twice or concurrently: a delivery first claims its rows with a
conditional update (queued, or for a retry failed, and due → sending) and sends only
the rows it changed. A worker killed mid-send leaves the row "sending"; the sweep
reclaims such rows after ``NOTIFICATION_SENDING_TIMEOUT`` seconds, so nothing is
lost (at-least-once; the idempotency key lets receivers drop a duplicate).
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import heartbeats
from tickets.models import Attachment, Message, Notification, NotificationAttempt, Ticket
from tickets.outbox import mail, webhooks
from tickets.outbox.mail import one_line

if TYPE_CHECKING:
    from accounts.models import Vendor

State = Notification.State
logger = logging.getLogger(__name__)

# A wake-up on its way to a worker (``wake_delivery``), and how long it is trusted.
DRAIN_KEY = "helpdesk:outbox:wake"
# The sweep started a delivery task for rows left waiting (notifications_left_waiting).
LEFT_WAITING_KEY = "helpdesk:outbox:left-waiting"
DRAIN_KEY_SECONDS = 10
# A woken worker claims this many rows at a time, waits this long for more after each
# batch, and goes on for at most this long before it leaves the rest to another task (so
# one task never holds a worker from its other work for long).
DRAIN_BATCH = 20
DRAIN_LINGER_SECONDS = 0.05
DRAIN_SECONDS = 5.0
# A batch records what it has sent at least this often (one transaction for them all).
RECORD_EVERY_SECONDS = 1.0


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential, capped, with ±50% jitter so retries from one outage spread out."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    cap = settings.NOTIFICATION_RETRY_MAX_SECONDS
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * (rng or random).uniform(0.5, 1.5))


def _claim(notification_id: int) -> bool:
    now = timezone.now()
    return bool(
        Notification.objects.filter(
            pk=notification_id, state__in=[State.QUEUED, State.FAILED], next_attempt_at__lte=now
        ).update(state=State.SENDING, next_attempt_at=now, attempts=F("attempts") + 1)
    )


def idempotency_key(kind: str, *parts: object) -> str:
    """The key of the notification of ``kind`` about ``parts``: the same parts, the same key."""
    return hashlib.sha256(":".join([kind, *map(str, parts)]).encode()).hexdigest()


def _times(now: datetime | None) -> dict[str, datetime]:
    return {"created_at": now, "next_attempt_at": now} if now is not None else {}


@dataclass(frozen=True)
class TextFile:
    """A small text file attached to one mail (``Batch.email(files=...)``)."""

    name: str
    content_type: str
    text: str


class Batch:
    """Notifications written together: one INSERT, one hand-over after commit. A row whose
    key the batch already holds is dropped (one person in two roles: one mail)."""

    def __init__(self) -> None:
        self.rows: list[Notification] = []
        self._keys: set[str] = set()

    def _new_key(self, kind: str, key: Sequence[object]) -> str | None:
        derived = idempotency_key(kind, *key)
        if derived in self._keys:
            return None
        self._keys.add(derived)
        return derived

    def email(
        self, *, kind: str, key: Sequence[object], to: str, template: str, context: dict,
        language: str, automatic: str = "", from_email: str = "", ticket: Ticket | None = None,
        message: Message | None = None, now: datetime | None = None,
        files: Sequence[TextFile] = (),
    ) -> bool:  # fmt: skip
        """Add an email rendered from ``templates/email/<template>.*``; False (and nothing
        rendered) when the batch already holds its key. ``files`` are small text files
        made for this mail (a report's CSV), kept in the row and attached when sent."""
        derived = self._new_key(kind, key)
        if derived is None:
            return False
        rendered = mail.render(template, context, language=language)
        payload: dict = {"headers": {"Auto-Submitted": automatic}} if automatic else {}
        if files:
            payload["files"] = [{"name": f.name, "type": f.content_type, "text": f.text}
                                for f in files]  # fmt: skip
        self.rows.append(Notification(
            kind=kind, channel=Notification.Channel.EMAIL, recipient=to,
            subject=rendered.subject, body=rendered.text, body_html=rendered.html,
            from_email=from_email, idempotency_key=derived, ticket=ticket, message=message,
            payload=payload, **_times(now),
        ))  # fmt: skip
        return True

    def webhook(
        self, *, kind: str, key: Sequence[object], url: str, payload: dict,
        vendor: Vendor | None = None, ticket: Ticket | None = None, now: datetime | None = None,
    ) -> bool:  # fmt: skip
        """Add a webhook; False when the batch already holds its key."""
        derived = self._new_key(kind, key)
        if derived is None:
            return False
        self.rows.append(Notification(
            kind=kind, channel=Notification.Channel.WEBHOOK, recipient=url, payload=payload,
            vendor=vendor, ticket=ticket, idempotency_key=derived, **_times(now),
        ))  # fmt: skip
        return True

    def drop_queued(self) -> int:
        """Leave out the rows whose key an earlier transaction already queued (work done
        again after a crash, or late); how many. One statement."""
        keys = [row.idempotency_key for row in self.rows]
        if not keys:
            return 0
        done = set(Notification.objects.filter(idempotency_key__in=keys)
                   .values_list("idempotency_key", flat=True))  # fmt: skip
        self.rows = [row for row in self.rows if row.idempotency_key not in done]
        return len(done)

    def queue_if(self, condition: str, params: Sequence[object]) -> list[Notification]:
        """``queue``, but the rows are written only if the SQL ``condition`` holds, decided
        by the same statement that writes them (a limit counted under a lock, for one)."""
        rows, self.rows = self.rows, []
        if not rows:
            return []
        fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
        compiler_values = [
            [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
            for row in rows
        ]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        one = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
        sql = (
            f"INSERT INTO {connection.ops.quote_name(Notification._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT * FROM (VALUES {', '.join([one] * len(rows))}) AS v "
            f"WHERE {condition} RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for values in compiler_values for value in values]
                           + list(params))  # fmt: skip
            ids = [row_id for (row_id,) in cursor.fetchall()]
        if not ids:
            return []
        for row, row_id in zip(rows, ids, strict=False):
            row.pk = row_id
            row._state.adding = False
        _deliver_on_commit(ids)
        return rows[: len(ids)]

    def queue(self) -> list[Notification]:
        """Write the rows added since the last call in one INSERT (per thousand) and hand
        them to a worker after commit."""
        rows, self.rows = self.rows, []
        if not rows:
            return []
        created = Notification.objects.bulk_create(rows, batch_size=1000)
        _deliver_on_commit([notification.pk for notification in created])
        return created


def queue_email(
    *, kind: str, key: Sequence[object], to: str, template: str, context: dict, language: str,
    automatic: str = "", from_email: str = "", ticket: Ticket | None = None,
    message: Message | None = None, now: datetime | None = None, files: Sequence[TextFile] = (),
) -> Notification:  # fmt: skip
    """One email (see ``Batch.email``): one INSERT, handed to a worker on commit."""
    batch = Batch()
    batch.email(kind=kind, key=key, to=to, template=template, context=context,
                language=language, automatic=automatic, from_email=from_email, ticket=ticket,
                message=message, now=now, files=files)  # fmt: skip
    return batch.queue()[0]


def queue_webhook(
    *, kind: str, key: Sequence[object], url: str, payload: dict, vendor: Vendor | None = None,
    ticket: Ticket | None = None, now: datetime | None = None,
) -> Notification:  # fmt: skip
    """One webhook (see ``Batch.webhook``): one INSERT, handed to a worker on commit."""
    batch = Batch()
    batch.webhook(kind=kind, key=key, url=url, payload=payload, vendor=vendor, ticket=ticket,
                  now=now)  # fmt: skip
    return batch.queue()[0]


def email_attachments(message_id: int | None) -> tuple[list[Attachment], list[Attachment]]:
    """A message's files that go with its email (in order, up to
    EMAIL_ATTACHMENTS_MAX_BYTES in all) and those left out. The same answer when the
    mail is rendered and when it is sent, so the text names exactly what is missing."""
    if not message_id:
        return [], []
    sent: list[Attachment] = []
    left_out: list[Attachment] = []
    total = 0
    for item in Attachment.objects.filter(message_id=message_id).order_by("id"):
        if total + item.size <= settings.EMAIL_ATTACHMENTS_MAX_BYTES:
            sent.append(item)
            total += item.size
        else:
            left_out.append(item)
    return sent, left_out


def _thread_headers(notification: Notification) -> dict[str, str]:
    """Message-ID of this mail and In-Reply-To / References to the earlier mail with the
    same person. A merge can bring another requester's messages onto a ticket (they keep
    their ``origin_requester``): their Message-IDs never go into this person's mail, and
    a reply to them that was queued before the merge threads with their own mail only."""
    headers = {"Message-ID": make_msgid(domain=settings.EMAIL_MESSAGE_ID_DOMAIN)}
    ticket_id, origin = notification.ticket_id, None
    if notification.message_id:  # the message may have moved to another ticket since
        ticket_id, origin = Message.objects.filter(pk=notification.message_id).values_list(
            "ticket_id", "origin_requester_id").first() or (ticket_id, None)  # fmt: skip
    if ticket_id:
        earlier = list(
            Message.objects.filter(ticket_id=ticket_id)
            .alias(person=Coalesce("origin_requester_id", "ticket__requester_id"))
            .filter(person=origin or F("ticket__requester_id"))
            .exclude(channel_message_id="")
            .exclude(pk=notification.message_id)  # type: ignore[misc]  # None: excludes none
            .order_by("-created_at", "-id")
            .values_list("channel_message_id", flat=True)[:10]
        )
        if earlier:
            headers["In-Reply-To"] = earlier[0]
            headers["References"] = " ".join(reversed(earlier))
    return headers


def _send_email(notification: Notification, session: BaseEmailBackend | None = None) -> str:
    headers = _thread_headers(notification)
    headers["X-Helpdesk-Idempotency-Key"] = notification.idempotency_key
    # Automatic mail says so (RFC 3834), so the requester's auto-responder stays quiet.
    extra = (notification.payload or {}).get("headers", {})
    if extra.get("Auto-Submitted") in ("auto-replied", "auto-generated"):
        headers["Auto-Submitted"] = extra["Auto-Submitted"]
    email = EmailMultiAlternatives(
        subject=one_line(notification.subject),
        body=notification.body,
        from_email=one_line(notification.from_email or settings.DEFAULT_FROM_EMAIL, 320),
        to=[notification.recipient],
        headers=headers,
        connection=session,
    )
    if notification.body_html:
        email.attach_alternative(notification.body_html, "text/html")
    for item in email_attachments(notification.message_id)[0]:
        with item.file.open("rb") as handle:
            email.attach(item.filename, handle.read(), item.content_type)
    for made in (notification.payload or {}).get("files", []):
        email.attach(made["name"], made["text"], made["type"])
    email.send(fail_silently=False)
    return headers["Message-ID"]


@dataclass(frozen=True)
class WebhookEndpoint:
    url: str
    secret: str
    previous_secret: str = ""
    rotated_at: datetime | None = None


# Webhooks that do not go to a vendor (an on-call rotation's pages, say): the app that
# writes them registers how to find their endpoint, by notification kind.
WEBHOOK_ENDPOINTS: dict[str, Callable[[Notification], WebhookEndpoint | None]] = {}


def register_webhook_endpoint(
    kind: str, resolve: Callable[[Notification], WebhookEndpoint | None]
) -> None:
    WEBHOOK_ENDPOINTS[kind] = resolve


def _endpoint(notification: Notification) -> WebhookEndpoint:
    vendor = notification.vendor
    if vendor is not None:
        if not vendor.is_active or not vendor.webhook_url:
            raise webhooks.WebhookError("the vendor has no active webhook endpoint")
        return WebhookEndpoint(
            vendor.webhook_url, vendor.webhook_secret, vendor.webhook_previous_secret,
            vendor.webhook_secret_rotated_at,
        )  # fmt: skip
    resolve = WEBHOOK_ENDPOINTS.get(notification.kind)
    endpoint = resolve(notification) if resolve else None
    if endpoint is None or not endpoint.url:
        raise webhooks.WebhookError("no active webhook endpoint for this notification")
    return endpoint


def _send_webhook(notification: Notification) -> int:
    endpoint = _endpoint(notification)
    payload = {**notification.payload, "idempotency_key": notification.idempotency_key}
    delivery = webhooks.post(
        url=endpoint.url, secret=endpoint.secret, previous_secret=endpoint.previous_secret,
        rotated_at=endpoint.rotated_at, event=notification.kind.replace("_", "."),
        idempotency_key=notification.idempotency_key, payload=payload,
    )  # fmt: skip
    return delivery.status_code


def notification_deliver(notification_id: int) -> str:
    """Try to deliver one notification; returns what became of it (its state)."""
    if not _claim(notification_id):
        return "skipped"
    notification = Notification.objects.select_related("vendor").get(pk=notification_id)
    return _deliver_claimed([notification], budget_seconds=None)[0]


def notifications_deliver_queued(*, batch: int = DRAIN_BATCH) -> int:
    """Deliver every queued row that is due, ``batch`` at a time; how many were tried.
    What a woken worker runs (``wake_delivery``). While rows keep coming it lingers
    (DRAIN_LINGER_SECONDS between claims, at most DRAIN_SECONDS in all), with its wake-up
    still marked, so commits meanwhile start no task of their own: under load one task
    delivers hundreds of rows. When a claim after a linger finds none it clears the mark
    and claims once more, so a row committed just before is never left waiting. A full
    batch starts another task for the next one before it sends its own (past the mark,
    which is this task's)."""
    started, tried, cleared = time.monotonic(), 0, False
    while time.monotonic() - started < DRAIN_SECONDS:
        claimed = _claim_queued(batch)
        if not claimed:
            if cleared:
                return tried
            _clear_wake_up()
            cleared = True
            continue
        cleared = False
        if len(claimed) == batch:
            _start_another()
        budget = settings.NOTIFICATION_SENDING_TIMEOUT / 3
        states = _deliver_claimed(claimed, budget_seconds=budget)
        tried += len(claimed)
        if "skipped" in states:
            return tried  # the servers are slow: the rows went back, and another task started
        time.sleep(DRAIN_LINGER_SECONDS)
    _clear_wake_up()
    wake_delivery()  # out of time with rows perhaps left: another task goes on
    return tried


def _start_another() -> bool:
    """Start a delivery task now, whatever the mark says (a running task's own mark would
    stop ``wake_delivery``); whether the broker took it."""
    from tickets.tasks import deliver_queued  # tasks import this module

    try:
        deliver_queued.delay()
    except Exception as exc:  # the broker is away: the sweep hands the rows over
        logger.warning("Could not start a delivery task: %s", exc)
        return False
    return True


def _clear_wake_up() -> None:
    try:
        heartbeats.client().delete(DRAIN_KEY)
    except redis.RedisError:
        pass  # it expires on its own; until then the sweep hands new rows over


def _claim_queued(limit: int) -> list[Notification]:
    """Claim up to ``limit`` queued rows that are due, oldest first, as ``_claim`` claims
    one (queued -> sending, one more attempt); rows another worker holds are skipped."""
    table = Notification._meta.db_table
    sql = (
        f"UPDATE {table} AS n SET state = %s, next_attempt_at = %s, attempts = n.attempts + 1 "  # noqa: S608
        f"FROM (SELECT id FROM {table} WHERE state = %s AND next_attempt_at <= %s "
        f"ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) AS due "
        f"WHERE n.id = due.id RETURNING n.*"
    )
    now = timezone.now()
    claimed = list(Notification.objects.raw(sql, [State.SENDING, now, State.QUEUED, now, limit]))
    prefetch_related_objects([row for row in claimed if row.vendor_id], "vendor")
    return claimed


def _deliver_claimed(claimed: list[Notification], *, budget_seconds: float | None) -> list[str]:
    """Send claimed rows in turn (mail over one connection); each row's new state, in
    order. Outcomes are recorded in one transaction for all the rows sent within a second
    (RECORD_EVERY_SECONDS), so a worker killed mid-batch leaves at most a second's sends
    to go again, and a slow server's rows are recorded as they go. Rows not yet sent when
    ``budget_seconds`` have passed go back to the queue unsent, their attempt given back,
    and another task starts on them."""
    started = last_record = time.monotonic()
    outcomes: list[_Outcome] = []
    states: list[str] = []
    session = _mail_session() if any(
        row.channel == Notification.Channel.EMAIL for row in claimed) else None  # fmt: skip
    try:
        for row in claimed:
            late = budget_seconds is not None and time.monotonic() - started > budget_seconds
            if late and (states or outcomes):  # the first is always tried: a batch moves on
                break
            outcomes.append(_send(row, session))
            if time.monotonic() - last_record > RECORD_EVERY_SECONDS:
                states += _record(outcomes)
                outcomes, last_record = [], time.monotonic()
    finally:
        if session is not None:
            _close_quietly(session)
    states += _record(outcomes)
    left = [row.pk for row in claimed[len(states) :]]
    if left:
        Notification.objects.filter(pk__in=left, state=State.SENDING).update(
            state=State.QUEUED, attempts=F("attempts") - 1, enqueued_at=None)  # fmt: skip
        _start_another()
    return states + ["skipped"] * len(left)


# A sent (or failed) row: (row, error, Message-ID, HTTP status, milliseconds).
_Outcome = tuple[Notification, str, str, "int | None", int]


def _send(notification: Notification, session: BaseEmailBackend | None) -> _Outcome:
    """Send one claimed row: (row, error, Message-ID, HTTP status, milliseconds)."""
    started = time.monotonic()
    error = message_id = ""
    status_code = None
    try:
        if notification.channel == Notification.Channel.WEBHOOK:
            status_code = _send_webhook(notification)
        else:
            message_id = _send_email(notification, session)
    except Exception as exc:  # any failure is logged and retried, never lost
        # PostgreSQL takes no NUL in text (a receiver's answer may hold one).
        error = f"{type(exc).__name__}: {exc}".replace("\x00", "")[:2000]
        status_code = getattr(exc, "status_code", None)
        if session is not None:
            _close_quietly(session)  # a broken session is not reused; the next send opens one
    return notification, error, message_id, status_code, int((time.monotonic() - started) * 1000)


@transaction.atomic
def _record(outcomes: list[_Outcome]) -> list[str]:
    """The attempts (one INSERT), the sent rows (one UPDATE), the Message-IDs their messages
    went out with (one UPDATE), and each failure's retry or death. A row the sweep took
    back meanwhile (a send that outran NOTIFICATION_SENDING_TIMEOUT) keeps its new state:
    it goes again, and the receiver drops the repeated key."""
    if not outcomes:
        return []
    NotificationAttempt.objects.bulk_create([
        NotificationAttempt(notification=row, ok=not error, error=error, duration_ms=duration,
                            status_code=status_code)
        for row, error, _message_id, status_code, duration in outcomes
    ])  # fmt: skip
    now = timezone.now()
    sent = [(row, message_id) for row, error, message_id, _s, _d in outcomes if not error]
    if sent:
        Notification.objects.filter(pk__in=[row.pk for row, _ in sent], state=State.SENDING).update(
            state=State.SENT, sent_at=now, last_error="",
            sent_message_id=Case(*(When(pk=row.pk, then=Value(message_id))
                                   for row, message_id in sent), default=Value("")),
        )  # fmt: skip
        threaded = [(row.message_id, message_id) for row, message_id in sent
                    if row.message_id and message_id]  # fmt: skip
        if threaded:
            Message.objects.filter(pk__in=[pk for pk, _ in threaded], channel_message_id="").update(
                channel_message_id=Case(*(When(pk=pk, then=Value(message_id))
                                          for pk, message_id in threaded)),
            )  # fmt: skip
    states: list[str] = []
    for row, error, _message_id, _status, _duration in outcomes:
        if not error:
            states.append(State.SENT)
            continue
        dead = row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        Notification.objects.filter(pk=row.pk, state=State.SENDING).update(
            state=State.DEAD if dead else State.FAILED, last_error=error,
            next_attempt_at=now + backoff(row.attempts), enqueued_at=None,
        )  # fmt: skip
        states.append(State.DEAD if dead else State.FAILED)
    return states


def _mail_session() -> BaseEmailBackend | None:
    """One connection for a batch's mail (one SMTP session, not one per mail); None if it
    cannot be opened now, and each mail then tries on its own."""
    try:
        session = get_connection()
    except Exception:  # a backend that cannot be made: the sends report it, row by row
        return None
    try:
        session.open()
    except Exception:  # the sends report the failure, row by row
        _close_quietly(session)  # a connection half made (refused at TLS or login)
        return None
    return session


def _close_quietly(session: BaseEmailBackend) -> None:
    try:
        session.close()
    except Exception:  # noqa: S110  # closing a broken session: nothing left to do
        pass


@transaction.atomic
def notifications_due(limit: int = 500, *, include_waiting: bool = True) -> list[int]:
    """Ids of notifications to hand to a worker now, marked as handed over: retries whose
    backoff has passed, sends a dead worker left (reclaimed first), and rows whose task
    has not run for NOTIFICATION_REENQUEUE_SECONDS (lost with the broker or a worker).
    Rows handed over more recently are left alone: their task is still queued."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
    Notification.objects.filter(state=State.SENDING, next_attempt_at__lt=stale).update(
        state=State.FAILED, last_error="delivery did not finish (worker lost?)",
        next_attempt_at=now, enqueued_at=None,
    )  # fmt: skip
    handed_over = now - timedelta(seconds=settings.NOTIFICATION_REENQUEUE_SECONDS)
    # Retries travel on the "timers" queue, which has no backlog: one whose task has not
    # run by now was lost (a killed worker had prefetched it) and goes again.
    not_in_flight = Q(enqueued_at__isnull=True) | Q(state=State.FAILED,
                                                    enqueued_at__lt=handed_over)  # fmt: skip
    if include_waiting:
        not_in_flight |= Q(enqueued_at__lt=handed_over)
    due = list(
        Notification.objects.filter(
            not_in_flight, state__in=[State.QUEUED, State.FAILED], next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )  # fmt: skip
    Notification.objects.filter(pk__in=due).update(enqueued_at=now)
    return due


def notifications_left_waiting() -> bool:
    """Whether a queued row has been due for longer than NOTIFICATION_REENQUEUE_SECONDS
    since it was handed over, and no delivery task has claimed it since: its wake-up was
    lost (the broker refused it, or the worker that took it died), or it waits behind
    a backlog in the broker. Says so at most once per NOTIFICATION_REENQUEUE_SECONDS
    (a Redis mark), so a lasting backlog starts one more delivery task that often, not
    one every sweep."""
    now = timezone.now()
    handed_over = now - timedelta(seconds=settings.NOTIFICATION_REENQUEUE_SECONDS)
    waiting = Notification.objects.filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=handed_over),
        state=State.QUEUED, next_attempt_at__lte=now,
    ).exists()  # fmt: skip
    if not waiting:
        return False
    seconds = max(1, settings.NOTIFICATION_REENQUEUE_SECONDS)
    try:
        return bool(heartbeats.client().set(LEFT_WAITING_KEY, "1", nx=True, ex=seconds))
    except redis.RedisError:
        return True  # Redis away: the broker most likely too, and a task start fails


@transaction.atomic
def notification_retry(*, notification: Notification) -> bool:
    """An admin's retry of a dead or failed notification: due now, attempts kept."""
    now = timezone.now()
    changed = Notification.objects.filter(
        pk=notification.pk, state__in=[State.DEAD, State.FAILED]
    ).update(state=State.QUEUED, next_attempt_at=now, enqueued_at=now)
    if changed:
        enqueue_delivery(notification.pk)
    return bool(changed)


def enqueue_delivery(notification_id: int) -> None:
    """Hand the notification to a worker once the current transaction has committed."""
    _deliver_on_commit([notification_id])


def _deliver_on_commit(notification_ids: list[int]) -> None:
    """After commit, wake a worker: it delivers every queued row that is due, these too."""

    def hand_over() -> None:
        wake_delivery()

    if notification_ids:
        transaction.on_commit(hand_over)


def wake_delivery() -> None:
    """Wake a worker to deliver the queued rows, unless a task is on its way or running:
    under load many commits share one task. Worth it: a task costs the worker
    more than the mail it sends (Celery's hand-over, acknowledgement and bookkeeping).
    DRAIN_KEY marks a task on its way or running; the task clears it when it finds
    nothing more to claim. It expires on its own, so a task lost with the broker holds
    nothing up for long (and the sweep hands such rows over after
    NOTIFICATION_REENQUEUE_SECONDS)."""
    try:
        woken = heartbeats.client().set(DRAIN_KEY, "1", nx=True, ex=DRAIN_KEY_SECONDS)
    except redis.RedisError:
        woken = True  # cannot tell: wake one (if the broker is down too, the sweep catches up)
    if woken and not _start_another():
        _clear_wake_up()  # nothing is on its way: the next commit tries again
