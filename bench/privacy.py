#!/usr/bin/env python
"""Privacy benchmark, in one process, on its own database (helpdesk_bench_privacy:
migrated, the demo organisation and --others other people's tickets, seeded once, with an
outbox row for each of their agents' public replies and a raw email for each of their email
tickets). Prints:

1. the rows a subject's erasure must reach: one requester with --tickets tickets (issue
   target: 1,000 tickets erased in ≤ 30 s). Each subject's first --service-tickets tickets
   are made through the services, as a conversation happens: ``ticket_create`` (by email),
   an agent's reply (every --attach-every-th with a small file, written to a temporary
   MEDIA_ROOT on FileSystemStorage), the requester's answer, an internal note, the solve
   (a survey is scheduled, analytics facts written), the survey sent, every other one
   rated with a comment, and every mail delivered (a delivery log each, through a dummy
   mail backend); the raw email of each message the requester sent is bulk-written as
   intake would keep it. The rest are copies of those tickets, made in SQL with every row
   the erasure reaches (messages, files copied, timeline, outbox and delivery logs, SLA
   clocks, surveys, analytics facts, raw emails), the ids in the timeline remapped;
2. ``privacy.services.erasure_run_now`` for a fresh subject in each --modes ("delete",
   "anonymise"): wall time, SQL statements (by kind) and the time spent in them, the
   counts the request stores, and the time and statements of each part of the run
   (``privacy.erasure``'s steps, wrapped); and what is left of the subject afterwards;
3. the data-subject export of a third such subject: ``exports.services.export_run`` for
   the job ``privacy.services.subject_export`` queues, its statements and the ZIP's size;
4. the clean-up, timed as in 2: that subject deleted, their export file with them
   ("delete, after its export"), and the anonymised subject too ("delete, after
   anonymise"), so the next run finds the database as this one did (subjects an
   interrupted run left are deleted when a run starts).

A 3-ticket subject is erased in both modes first (imports, caches; not printed), and a CSV
of the whole ticket list (another person's export) is made so the erasure's scan of
export files has one to read. Celery gets an in-memory broker (nothing reaches a worker
of another database), mail a dummy backend. The survey settings of this database are set
to survey every solved ticket (sample 100 %, no delay, no per-person limit).

    nice -n 10 .venv/bin/python bench/privacy.py
    .venv/bin/python bench/privacy.py --tickets 5000 --others 100000 --modes delete

With the defaults it runs in about a minute and a half on two cores (each subject's
seeding takes about 15 s of it), once the others are seeded: the first run migrates and
seeds 20,000 in about a minute more.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import bench_env, ensure_database, manage, sql  # noqa: E402

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Queue, Requester

OFFICER = "admin@example.com"  # admins handle privacy through their role's group
AGENT = "agent@example.com"  # in-house, works General Support
QUEUE = "General Support"
TAG = "bench-privacy"  # on every subject's ticket: the others are the untagged ones
OTHER_KEY = "bench-privacy-other-"  # idempotency keys of the others' outbox rows
TARGET_SECONDS = 30.0
PARTS = (  # (module, function): the steps of a run, in their order
    ("privacy.services", "holds_covering"),
    ("privacy.erasure", "subject_of"),
    ("privacy.erasure", "_forget_released_holds"),
    ("privacy.erasure", "_attachment_files"),
    ("privacy.erasure", "_raw_emails"),
    ("privacy.erasure", "_outbox"),
    ("privacy.erasure", "_exports"),
    ("privacy.erasure", "_delete"),
    ("privacy.erasure", "_anonymise"),
    ("privacy.erasure", "_scrub_other_timelines"),
    ("privacy.erasure", "delete_files"),  # after the commit
)
# Earlier names of the same steps (the app's private helpers may be renamed).
ALIASES = {"delete_files": ("_delete_files",)}


def prepare(args: argparse.Namespace, media: str) -> dict[str, str]:
    """The bench database: migrated, the demo organisation, --others tickets (seeded once,
    if fewer)."""
    env = bench_env(args.database, CELERY_BROKER_URL="memory://", EMAIL_URL="dummymail://",
                    MEDIA_ROOT=media)  # fmt: skip
    if args.skip_setup:
        return env
    ensure_database(args.database)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = _others(env)
    if have < args.others:
        started = time.monotonic()
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.others - have),
               "--seed", "5")  # fmt: skip
        print(f"seeded {args.others - have:,} other tickets in {time.monotonic() - started:.0f}s")
    return env


def _others(env: dict[str, str]) -> int:
    return sql(env, f"SELECT count(*) FROM tickets_ticket WHERE NOT tags @> ARRAY['{TAG}']"
                    "::varchar[]")[0][0]  # fmt: skip


# --- measuring ----------------------------------------------------------------------------


class SqlMeter:
    """Every statement the connection runs while installed: how many, of which kind, and
    the time spent in them (the database and the driver)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.kinds: Counter[str] = Counter()

    def __call__(self, execute: Callable, sql_text: str, params: Any, many: bool,
                 context: dict) -> Any:  # fmt: skip
        started = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
            self.kinds[sql_text.lstrip().split(None, 1)[0].upper()] += 1

    def kinds_text(self) -> str:
        return ", ".join(f"{kind} {n:,}" for kind, n in self.kinds.most_common())


@dataclass
class Run:
    """One timed call: wall seconds, its statements, and each wrapped part's share."""

    seconds: float = 0.0
    meter: SqlMeter = field(default_factory=SqlMeter)
    parts: dict[str, tuple[float, int]] = field(default_factory=dict)


@contextmanager
def measured(run: Run, wrap_parts: bool = True) -> Iterator[Run]:
    """Times the block and counts its statements; with ``wrap_parts``, the erasure's steps
    (``PARTS``) each too: wall seconds and statements, summed over their calls."""
    import importlib

    from django.db import connection

    originals: list[tuple[Any, str, Any]] = []
    if wrap_parts:
        for module_name, name in PARTS:
            module = importlib.import_module(module_name)
            found = [n for n in (name, *ALIASES.get(name, ())) if hasattr(module, n)]
            if not found:
                continue  # a step this version of the app does not have
            attribute, original = found[0], getattr(module, found[0])
            originals.append((module, attribute, original))

            def wrapper(*a: Any, _f: Any = original, _name: str = name, **k: Any) -> Any:
                started, statements = time.perf_counter(), run.meter.count
                try:
                    return _f(*a, **k)
                finally:
                    seconds, count = run.parts.get(_name, (0.0, 0))
                    run.parts[_name] = (seconds + time.perf_counter() - started,
                                        count + run.meter.count - statements)  # fmt: skip

            setattr(module, attribute, wrapper)
    try:
        with connection.execute_wrapper(run.meter):
            started = time.perf_counter()
            yield run
            run.seconds = time.perf_counter() - started
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


# --- the others ---------------------------------------------------------------------------


def others_extras() -> tuple[int, int]:
    """Once: the others' outbox (a sent mail for each agent's public reply to a requester
    with an address) and raw emails (one for each of their email tickets), which the demo
    seed does not write, so the erasure's lookups run over tables of a real size."""
    from django.db import connection

    from tickets.models import InboundEmail, Notification

    if not Notification.objects.filter(idempotency_key__startswith=OTHER_KEY).exists():
        with connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO tickets_notification (kind, channel, recipient, subject, body,
                    payload, ticket_id, message_id, idempotency_key, state, attempts,
                    next_attempt_at, enqueued_at, last_error, created_at, sent_at, from_email,
                    body_html, sent_message_id)
                SELECT 'requester_reply', 'email', r.email, left('Re: ' || t.subject, 255),
                       m.body, '{{}}'::jsonb, t.id, m.id, '{OTHER_KEY}' || m.id, 'sent', 1,
                       m.created_at, NULL, '', m.created_at, m.created_at,
                       'support@example.com', '', '<' || m.id || '.bench@example.com>'
                  FROM tickets_message m
                  JOIN tickets_ticket t ON t.id = m.ticket_id
                  JOIN tickets_requester r ON r.id = t.requester_id
                 WHERE m.author_type = 'agent' AND m.kind = 'public' AND r.email <> ''
                   AND NOT t.tags @> ARRAY['{TAG}']::varchar[]""")  # fmt: skip
            cursor.execute(f"""
                INSERT INTO tickets_inboundemail (raw, size, source, message_id, from_address,
                    subject, outcome, reason, ticket_id, created_message_id, received_at)
                SELECT convert_to('From: ' || r.email || E'\\r\\nSubject: ' || t.subject
                                  || E'\\r\\n\\r\\n' || repeat(m.body || E'\\r\\n', 8), 'UTF8'),
                       0, 'imap', '<' || m.id || '.other@mail.example>', r.email,
                       left(t.subject, 255), 'new_ticket', '', t.id, m.id, m.created_at
                  FROM tickets_ticket t
                  JOIN tickets_requester r ON r.id = t.requester_id
                  JOIN LATERAL (SELECT id, body, created_at FROM tickets_message
                                 WHERE ticket_id = t.id ORDER BY created_at, id LIMIT 1) m
                       ON TRUE
                 WHERE t.channel = 'email' AND r.email <> ''
                   AND NOT t.tags @> ARRAY['{TAG}']::varchar[]""")  # fmt: skip
            cursor.execute("UPDATE tickets_inboundemail SET size = octet_length(raw) "
                           "WHERE size = 0")  # fmt: skip
    return Notification.objects.count(), InboundEmail.objects.count()


def survey_every_solve(officer: User) -> None:
    """Every solved ticket surveyed at once, each person every time; and the surveys other
    people's tickets had waiting sent now, so ``surveys_send_due(limit=1)`` finds ours."""
    from quality import services as quality

    quality.survey_settings_save(actor=officer, values={
        "enabled": True, "delay_hours": 0, "per_requester_days": 0, "sample_percent": 100,
    })  # fmt: skip
    while sum(quality.surveys_send_due(limit=500).values()) == 500:
        pass


def discard_leftovers(officer: User) -> int:
    """Delete the subjects an interrupted run left (their tickets carry the tag, or their
    address is a bench one), so every run starts from the same database."""
    from privacy import services
    from privacy.models import ErasureRequest
    from tickets.models import Requester, Ticket

    found = 0
    for _pass in range(3):  # an anonymise request left waiting runs first, then a delete
        ids = set(Ticket.objects.filter(tags__contains=[TAG]).values_list("requester_id",
                                                                          flat=True))  # fmt: skip
        ids |= set(Requester.objects.filter(email__startswith="bench.privacy.",
                                            provisional_of__isnull=True)
                   .values_list("pk", flat=True))  # fmt: skip
        if not ids:
            break
        found = max(found, len(ids))
        for requester in Requester.objects.filter(pk__in=ids):
            request = ErasureRequest.objects.filter(
                requester=requester, state__in=[ErasureRequest.State.WAITING,
                                                ErasureRequest.State.HELD]).first()  # fmt: skip
            if request is None:
                request = services.erasure_request(actor=officer, requester=requester,
                                                   mode="delete")  # fmt: skip
            services.erasure_run_now(actor=officer, request=request)
    return found


def expire_stale_exports() -> None:
    """Export files of earlier runs were in their temporary MEDIA_ROOT, gone now."""
    from exports.models import ExportJob

    ExportJob.objects.exclude(file_name="").update(state=ExportJob.State.EXPIRED,
                                                   file_name="", file_size=0)  # fmt: skip


def list_export(officer: User) -> tuple[float, int, int]:
    """A lead's CSV of the whole ticket list: a file that names many requesters, which
    the erasure reads looking for the subject (``_exports``)."""
    from django.http import QueryDict

    from exports.models import ExportJob
    from exports.services import export_run, export_start

    job = export_start(actor=officer, source_key="tickets.queue", params=QueryDict("view=any"),
                       language="en", time_zone="UTC")  # fmt: skip
    started = time.perf_counter()
    state = export_run(job.pk)
    seconds = time.perf_counter() - started
    job = ExportJob.objects.get(pk=job.pk)
    if state != "done":
        raise SystemExit(f"the ticket-list export ended {state}: {job.error}")
    return seconds, job.rows_done, job.file_size


# --- a subject ----------------------------------------------------------------------------


@dataclass
class Subject:
    label: str
    requester: Requester
    email: str
    name: str
    seed_seconds: float = 0.0
    service_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


def _raw_email(frm: str, subject: str, body: str, message_id: str) -> bytes:
    return (f"From: {frm}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n").encode()  # fmt: skip


def make_subject(label: str, run_id: str, tickets: int, via_services: int, attach_every: int,
                 agent: User, queue: Queue) -> Subject:  # fmt: skip
    from tickets import services

    started = time.perf_counter()
    email = f"bench.privacy.{run_id}.{label}@subject.example"
    name = f"Wilhelmina Quast-{label.title()} {run_id}"
    requester = services.requester_get_or_create(
        email=email, name=name, external_id=f"bench-{run_id}-{label}", language="en")  # fmt: skip
    subject = Subject(label, requester, email, name)
    phrase = f"parcel-{run_id}-{label}"
    via_services = max(1, min(via_services, tickets))
    made = [_service_ticket(subject, n, phrase, attach_every, agent, queue)
            for n in range(via_services)]  # fmt: skip
    _deliver(made)
    subject.service_seconds = time.perf_counter() - started
    if tickets > via_services:
        clone_tickets(made, tickets - via_services)
    subject.seed_seconds = time.perf_counter() - started
    subject.rows = subject_rows(requester)
    return subject


def _service_ticket(subject: Subject, n: int, phrase: str, attach_every: int, agent: User,
                    queue: Queue) -> int:  # fmt: skip
    """One conversation, through the services: mail in, a reply (with a file, some), the
    person's answer, an internal note, the solve, the survey sent and (every other) rated."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quality import services as quality
    from quality.models import Survey
    from tickets import services
    from tickets.models import InboundEmail

    name, email = subject.name, subject.email
    title = f"Order {n:04d}: refund for {phrase}"
    body = (f"Hello, this is {name} ({email}). The parcel {phrase} never arrived; I paid "
            f"twice for order {n:04d}. Please refund one of the payments.")  # fmt: skip
    ticket = services.ticket_create(actor=None, requester=subject.requester, queue=queue,
                                    subject=title, body=body, channel="email",
                                    tags=[TAG])  # fmt: skip
    files = []
    if n % attach_every == 0:
        content = f"Bank statement of {name}, {email}: order {n:04d}, {phrase}.\n" * 12
        files = [SimpleUploadedFile(f"statement-{n:04d}.txt", content.encode())]
    services.ticket_reply(actor=agent, ticket=ticket, files=files,
                          body=f"Dear {name}, we are sorry about {phrase}. Could you send us "
                               "the last four digits of the card you paid with?")  # fmt: skip
    answer = services.ticket_requester_reply(
        ticket=ticket, channel="email",
        body=f"Thanks. It is 4471. {name}, {email}")  # fmt: skip
    services.ticket_reply(actor=agent, ticket=ticket, internal=True,
                          body=f"Checked {name} <{email}>: both payments went through.",
                          )  # fmt: skip
    services.ticket_change_status(actor=agent, ticket=ticket, status="solved")
    quality.surveys_send_due(limit=1)
    survey = Survey.objects.filter(ticket=ticket, state=Survey.State.SENT).first()
    if survey is not None and n % 2 == 0:
        quality.csat_rate(survey_id=survey.pk, score=5 if n % 4 == 0 else 2, channel="email",
                          comment=f"{name} here: the refund for {phrase} took a week.")  # fmt: skip
    first = ticket.messages.order_by("created_at", "pk").first()
    InboundEmail.objects.bulk_create([
        InboundEmail(raw=_raw_email(f"{name} <{email}>", title, body, f"<{ticket.pk}.1@s.example>"),
                     message_id=f"<{ticket.pk}.1@s.example>", from_address=email, subject=title,
                     outcome=InboundEmail.Outcome.NEW_TICKET, ticket=ticket,
                     created_message=first, size=len(body)),
        InboundEmail(raw=_raw_email(f"{name} <{email}>", f"Re: {title}", answer.body,
                                    f"<{ticket.pk}.2@s.example>"),
                     message_id=f"<{ticket.pk}.2@s.example>", from_address=email,
                     subject=f"Re: {title}", outcome=InboundEmail.Outcome.REPLY, ticket=ticket,
                     created_message=answer, size=len(answer.body)),
    ])  # fmt: skip
    return ticket.pk


def _deliver(ticket_ids: list[int]) -> None:
    """Deliver the subject's mail (replies, surveys) as the worker would: sent, with a
    delivery log each (the dummy mail backend sends nowhere)."""
    from tickets.models import Notification
    from tickets.outbox import notification_deliver

    for pk in Notification.objects.filter(ticket_id__in=ticket_ids, state="queued").values_list(
        "pk", flat=True
    ):
        notification_deliver(pk)


def _copy(cursor: Any, model: Any, source: str, overrides: dict[str, str],
          params: list | None = None) -> int:  # fmt: skip
    """INSERT … SELECT of ``model``'s rows from ``source`` (aliased ``src``), each column
    as it is unless overridden; ``id`` only when overridden (else the table's default)."""
    columns = [f.column for f in model._meta.concrete_fields
               if f.column != "id" or "id" in overrides]  # fmt: skip
    values = ", ".join(overrides.get(column, f"src.{column}") for column in columns)
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                   f"SELECT {values} FROM {source}", params or [])  # fmt: skip
    return cursor.rowcount


def _map(cursor: Any, table: str, sql_text: str, params: list | None = None) -> None:
    cursor.execute(f"CREATE TEMP TABLE {table} (old bigint, new bigint, ticket bigint) "
                   "ON COMMIT DROP")  # fmt: skip
    cursor.execute(f"INSERT INTO {table} {sql_text}", params or [])
    cursor.execute(f"CREATE INDEX ON {table} (old)")
    cursor.execute(f"ANALYZE {table}")


def clone_tickets(templates: list[int], count: int) -> None:
    """``count`` copies of the template tickets (in turn), with every row of theirs that
    an erasure reaches; the files are copied in the storage."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection, transaction

    from analytics.models import Fact
    from quality.models import QualityEvent, Survey
    from tickets.models import (
        Attachment,
        Event,
        InboundEmail,
        Message,
        Notification,
        NotificationAttempt,
        SLAClock,
        Ticket,
        attachment_path,
        new_reference,
    )

    olds = [templates[n % len(templates)] for n in range(count)]
    references = [new_reference() for _n in olds]
    seq = "nextval(pg_get_serial_sequence('{}', 'id'))".format
    with transaction.atomic(), connection.cursor() as c:
        c.execute("CREATE TEMP TABLE bench_t (old bigint, new bigint, ref text) ON COMMIT DROP")
        c.execute(f"INSERT INTO bench_t SELECT u.old, {seq('tickets_ticket')}, u.ref "
                  "FROM unnest(%s::bigint[], %s::text[]) AS u(old, ref)",
                  [olds, references])  # fmt: skip
        c.execute("CREATE INDEX ON bench_t (old)")
        c.execute("ANALYZE bench_t")
        _copy(c, Ticket, "tickets_ticket src JOIN bench_t m ON src.id = m.old",
              {"id": "m.new", "reference": "m.ref", "merged_into_id": "NULL"})  # fmt: skip
        _map(c, "bench_m", f"SELECT src.id, {seq('tickets_message')}, m.new FROM tickets_message "
                           "src JOIN bench_t m ON src.ticket_id = m.old")  # fmt: skip
        _copy(c, Message, "tickets_message src JOIN bench_m mm ON src.id = mm.old",
              {"id": "mm.new", "ticket_id": "mm.ticket"})  # fmt: skip
        _map(c, "bench_s", f"SELECT src.id, {seq('quality_survey')}, m.new FROM quality_survey src "
                           "JOIN bench_t m ON src.ticket_id = m.old")  # fmt: skip
        _copy(c, Survey, "quality_survey src JOIN bench_s ms ON src.id = ms.old",
              {"id": "ms.new", "ticket_id": "ms.ticket"})  # fmt: skip
        _copy(c, QualityEvent, "quality_qualityevent src JOIN bench_s ms ON src.survey_id = ms.old",
              {"survey_id": "ms.new"})  # fmt: skip
        _map(c, "bench_n", f"SELECT src.id, {seq('tickets_notification')}, m.new "
                           "FROM tickets_notification src "
                           "JOIN bench_t m ON src.ticket_id = m.old")  # fmt: skip
        _copy(c, Notification, "tickets_notification src JOIN bench_n mn ON src.id = mn.old "
                               "LEFT JOIN bench_m mm ON mm.old = src.message_id "
                               "AND mm.ticket = mn.ticket",
              {"id": "mn.new", "ticket_id": "mn.ticket", "message_id": "mm.new",
               "idempotency_key": "md5(src.idempotency_key || ':' || mn.new)"})  # fmt: skip
        _copy(c, NotificationAttempt, "tickets_notificationattempt src "
                                      "JOIN bench_n mn ON src.notification_id = mn.old",
              {"notification_id": "mn.new"})  # fmt: skip
        # The timeline names messages and surveys by id: the copies name their own.
        number = "CASE WHEN jsonb_typeof(src.after -> '{0}') = 'number' " \
                 "THEN (src.after ->> '{0}')::bigint END".format  # fmt: skip
        after = ("CASE WHEN mm.new IS NOT NULL THEN jsonb_set(src.after, '{message}', "
                 "to_jsonb(mm.new)) ELSE src.after END")  # fmt: skip
        after = (f"CASE WHEN ms.new IS NOT NULL THEN jsonb_set({after}, '{{survey}}', "
                 f"to_jsonb(ms.new)) ELSE {after} END")  # fmt: skip
        _copy(c, Event, "tickets_event src JOIN bench_t m ON src.ticket_id = m.old "
                        "LEFT JOIN bench_m mm ON mm.ticket = m.new "
                        f"AND mm.old = {number('message')} "
                        "LEFT JOIN bench_s ms ON ms.ticket = m.new "
                        f"AND ms.old = {number('survey')}",
              {"ticket_id": "m.new", "after": after})  # fmt: skip
        _copy(c, SLAClock, "tickets_slaclock src JOIN bench_t m ON src.ticket_id = m.old",
              {"ticket_id": "m.new"})  # fmt: skip
        _copy(c, Fact, "analytics_fact src JOIN bench_t m ON src.ticket_id = m.old",
              {"ticket_id": "m.new"})  # fmt: skip
        _copy(c, InboundEmail, "tickets_inboundemail src JOIN bench_t m ON src.ticket_id = m.old "
                               "LEFT JOIN bench_m mm ON mm.old = src.created_message_id "
                               "AND mm.ticket = m.new",
              {"ticket_id": "m.new", "created_message_id": "mm.new",
               "message_id": "'<' || m.new || '.' || substr(src.message_id, 2)"})  # fmt: skip
        # Files: a copy of each template's file under a name of its own.
        originals = list(Attachment.objects.filter(message__ticket_id__in=templates))
        contents = {}
        for attachment in originals:
            with default_storage.open(attachment.file.name, "rb") as handle:
                contents[attachment.file.name] = handle.read()
        by_message: dict[int, list[Attachment]] = {}
        for attachment in originals:
            by_message.setdefault(attachment.message_id, []).append(attachment)
        c.execute("SELECT old, new FROM bench_m WHERE old = ANY(%s)", [list(by_message)])
        copies = []
        for old, new in c.fetchall():
            for a in by_message[old]:
                name = default_storage.save(attachment_path(a, a.filename),
                                            ContentFile(contents[a.file.name]))  # fmt: skip
                copies.append(Attachment(message_id=new, file=name, filename=a.filename,
                                         content_type=a.content_type, size=a.size,
                                         created_at=a.created_at))  # fmt: skip
        Attachment.objects.bulk_create(copies, batch_size=1000)


ROW_QUERIES = {
    "identities": "SELECT count(*) FROM tickets_requester WHERE id = ANY(%(r)s)",
    "tickets": "SELECT count(*) FROM tickets_ticket WHERE id = ANY(%(t)s)",
    "messages": "SELECT count(*) FROM tickets_message WHERE ticket_id = ANY(%(t)s)",
    "files": "SELECT count(*) FROM tickets_attachment a JOIN tickets_message m "
             "ON m.id = a.message_id WHERE m.ticket_id = ANY(%(t)s)",
    "timeline": "SELECT count(*) FROM tickets_event WHERE ticket_id = ANY(%(t)s)",
    "outbox": "SELECT count(*) FROM tickets_notification WHERE ticket_id = ANY(%(t)s)",
    "delivery_log": "SELECT count(*) FROM tickets_notificationattempt a JOIN "
                    "tickets_notification n ON n.id = a.notification_id "
                    "WHERE n.ticket_id = ANY(%(t)s)",
    "sla_clocks": "SELECT count(*) FROM tickets_slaclock WHERE ticket_id = ANY(%(t)s)",
    "surveys": "SELECT count(*) FROM quality_survey WHERE ticket_id = ANY(%(t)s)",
    "rated": "SELECT count(*) FROM quality_survey WHERE ticket_id = ANY(%(t)s) "
             "AND rated_at IS NOT NULL",
    "raw_emails": "SELECT count(*) FROM tickets_inboundemail WHERE ticket_id = ANY(%(t)s)",
    "facts": "SELECT count(*) FROM analytics_fact WHERE ticket_id = ANY(%(t)s)",
}  # fmt: skip


def subject_rows(requester: Requester) -> dict[str, int]:
    from django.db import connection

    from privacy.erasure import subject_of

    who = subject_of(requester)
    params = {"r": who.requester_ids, "t": who.ticket_ids}
    found = {}
    with connection.cursor() as cursor:
        for key, query in ROW_QUERIES.items():
            cursor.execute(query, params)
            found[key] = cursor.fetchone()[0]
    return found


def subject_files(ticket_ids: list[int]) -> list[str]:
    from tickets.models import Attachment

    return list(Attachment.objects.filter(message__ticket_id__in=ticket_ids)
                .values_list("file", flat=True))  # fmt: skip


def left_after(subject: Subject, ticket_ids: list[int], files: list[str]) -> str:
    """What is left of the subject after an erasure: their rows, the rows that still name
    them (email or name), and their files still in the storage."""
    from django.core.files.storage import default_storage
    from django.db import connection

    checks = {
        "tickets": ROW_QUERIES["tickets"],
        "messages": ROW_QUERIES["messages"],
        "files": ROW_QUERIES["files"],
        "outbox": ROW_QUERIES["outbox"],
        "raw_emails": ROW_QUERIES["raw_emails"],
        "naming them": "SELECT (SELECT count(*) FROM tickets_message WHERE ticket_id = "
                       "ANY(%(t)s) AND body ILIKE ANY(%(n)s)) + (SELECT count(*) FROM "
                       "tickets_event WHERE ticket_id = ANY(%(t)s) AND after::text ILIKE "
                       "ANY(%(n)s)) + (SELECT count(*) FROM quality_survey WHERE ticket_id = "
                       "ANY(%(t)s) AND comment ILIKE ANY(%(n)s)) + (SELECT count(*) FROM "
                       "tickets_requester WHERE email ILIKE ANY(%(n)s) OR name ILIKE ANY(%(n)s))",
    }  # fmt: skip
    params = {"t": ticket_ids, "n": [f"%{subject.email}%", f"%{subject.name}%"]}
    found = []
    with connection.cursor() as cursor:
        for key, query in checks.items():
            cursor.execute(query, params)
            found.append(f"{key} {cursor.fetchone()[0]:,}")
    stored = sum(1 for name in files if default_storage.exists(name))
    return ", ".join(found) + f"; files in storage {stored:,} of {len(files):,}"


# --- the runs -----------------------------------------------------------------------------


def erase(officer: User, requester: Requester, mode: str) -> tuple[Run, dict[str, int], str]:
    from privacy import services
    from privacy.models import ErasureRequest

    request = services.erasure_request(actor=officer, requester=requester, mode=mode)
    run = Run()
    with measured(run):
        state = services.erasure_run_now(actor=officer, request=request)
    request = ErasureRequest.objects.get(pk=request.pk)
    return run, dict(request.counts), state


def subject_export(officer: User, requester: Requester) -> None:
    from exports.models import ExportJob
    from exports.services import export_run
    from privacy import services

    job = services.subject_export(actor=officer, requester=requester, language="en",
                                  time_zone="UTC")  # fmt: skip
    run = Run()
    with measured(run, wrap_parts=False):
        state = export_run(job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    if state != "done":
        raise SystemExit(f"the subject export ended {state}: {job.error}")
    from django.core.files.storage import default_storage

    with default_storage.open(job.file_name, "rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    files = sum(1 for name in names if name.startswith("files/"))
    print(f"  export_run: {run.seconds:.1f} s, {run.meter.count:,} SQL statements "
          f"({run.meter.kinds_text()}), {run.meter.seconds:.1f} s in them; "
          f"state {state}")  # fmt: skip
    print(f"  ZIP {job.file_size / 1e6:.2f} MB ({unpacked / 1e6:.1f} MB unpacked), "
          f"{len(names):,} entries ({sum(n.startswith('tickets/') for n in names):,} tickets, "
          f"{files:,} files); rows_done {job.rows_done:,}")  # fmt: skip


def report_erasures(
    results: list[tuple[str, Subject, Run, dict[str, int], str]], leftovers: list[tuple[str, str]]
) -> None:
    print(f"  {'mode':<28} {'tickets':>7} {'wall s':>7} {'target':>7} {'SQL':>7} "
          f"{'in SQL s':>8}  state")  # fmt: skip
    for label, subject, run, _counts, state in results:
        verdict = "ok" if run.seconds <= TARGET_SECONDS else "OVER"
        print(f"  {label:<28} {subject.rows['tickets']:>7,} {run.seconds:>7.1f} {verdict:>7} "
              f"{run.meter.count:>7,} {run.meter.seconds:>8.1f}  {state}")  # fmt: skip
    for label, _subject, run, counts, _state in results:
        print(f"  {label}: counts {counts}")
        print(f"  {'':<{len(label)}}  statements: {run.meter.kinds_text()}")
    print("\n  each part of the run: wall s (SQL statements)")
    labels = [label for label, *_rest in results]
    width = max(16, *(len(label) for label in labels))
    print(f"  {'part':<24}" + "".join(f" {label:>{width}}" for label in labels))
    for _module, name in PARTS:
        cells = []
        for _label, _subject, run, _counts, _state in results:
            seconds, count = run.parts.get(name, (0.0, 0))
            cells.append(f"{seconds:.2f} ({count:,})" if name in run.parts else "-")
        if any(cell != "-" for cell in cells):
            print(f"  {name:<24}" + "".join(f" {cell:>{width}}" for cell in cells))
    cells = []
    for _label, _subject, run, _counts, _state in results:
        seconds = run.seconds - sum(s for s, _n in run.parts.values())
        count = run.meter.count - sum(n for _s, n in run.parts.values())
        cells.append(f"{seconds:.2f} ({count:,})")
    print(f"  {'rest: request, commit':<24}" + "".join(f" {cell:>{width}}" for cell in cells))
    print("\n  left of the subject afterwards (their tickets' rows, rows naming them, files):")
    for label, text in leftovers:
        print(f"  {label:<26} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="helpdesk_bench_privacy")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets of each subject")
    parser.add_argument("--service-tickets", type=int, default=100,
                        help="of which through the services (the rest are copies)")  # fmt: skip
    parser.add_argument("--attach-every", type=int, default=3,
                        help="a file on every n-th ticket's reply")  # fmt: skip
    parser.add_argument("--others", type=int, default=20_000,
                        help="other people's tickets (seeded once, if fewer)")  # fmt: skip
    parser.add_argument("--modes", default="delete,anonymise",
                        help="erasure modes timed: delete, anonymise or both")  # fmt: skip
    parser.add_argument("--no-export", action="store_true", help="skip the subject export")
    parser.add_argument("--skip-setup", action="store_true", help="no migrate or seeding")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not set(modes) <= {"delete", "anonymise"}:
        raise SystemExit("--modes takes delete and/or anonymise")

    began = time.monotonic()
    media = tempfile.mkdtemp(prefix="bench-privacy-media-")
    try:
        env = prepare(args, media)
        os.environ.update(env)
        import django

        django.setup()
        logging.getLogger("kombu").setLevel(logging.ERROR)  # "no hostname" for memory://
        bench(args, env, modes, media)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    print(f"\n(ran {time.monotonic() - began:.0f} s)")


def bench(args: argparse.Namespace, env: dict[str, str], modes: list[str], media: str) -> None:
    from django.db import connection

    from accounts.models import User
    from tickets.models import Queue

    officer = User.objects.get(email=OFFICER)
    agent = User.objects.get(email=AGENT)
    queue = Queue.objects.get(name=QUEUE)
    expire_stale_exports()
    if left := discard_leftovers(officer):
        print(f"deleted {left} subject(s) an interrupted run had left")
    survey_every_solve(officer)
    notifications, raw_emails = others_extras()
    commit = os.popen(f"git -C {BASE_DIR} rev-parse --short HEAD").read().strip()  # noqa: S605
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"{BASE_DIR} at {commit}; {args.database} ({size}): {_others(env):,} other tickets, "
          f"{notifications:,} outbox rows, {raw_emails:,} raw emails; officer {OFFICER}; "
          f"MEDIA_ROOT {media} (FileSystemStorage)")  # fmt: skip
    seconds, rows, size_bytes = list_export(officer)
    print(f"another person's export: the ticket list, {rows:,} rows, "
          f"{size_bytes / 1e6:.1f} MB CSV, in {seconds:.1f} s (the erasure reads it)")  # fmt: skip

    run_id = secrets.token_hex(3)
    # Warm-up: imports, query caches, the first file in storage; not printed.
    warm = make_subject("warmup", run_id, 3, 3, 1, agent, queue)
    erase(officer, warm.requester, "anonymise")
    warm.requester.refresh_from_db()
    erase(officer, warm.requester, "delete")

    subjects: dict[str, Subject] = {}
    wanted = [*modes, *([] if args.no_export else ["export"])]
    print(f"\n1. The subjects: {args.tickets:,} tickets each, {args.service_tickets:,} through "
          "the services, the rest copies of those")  # fmt: skip
    keys = list(ROW_QUERIES)
    print(f"  {'subject':<10} {'seeded s':>8} {'services s':>10}  "
          + " ".join(f"{key:>{max(len(key), 6)}}" for key in keys))  # fmt: skip

    def seeded(label: str) -> Subject:
        subject = make_subject(label, run_id, args.tickets, args.service_tickets,
                               args.attach_every, agent, queue)  # fmt: skip
        print(f"  {label:<10} {subject.seed_seconds:>8.1f} {subject.service_seconds:>10.1f}  "
              + " ".join(f"{subject.rows[key]:>{max(len(key), 6)},}" for key in keys))  # fmt: skip
        return subject

    for label in wanted:
        subjects[label] = seeded(label)

    from privacy.erasure import subject_of

    def erased(label: str, subject: Subject, mode: str) -> tuple[tuple, tuple[str, str]]:
        subject.requester.refresh_from_db()
        ticket_ids = subject_of(subject.requester).ticket_ids
        files = subject_files(ticket_ids)
        run, counts, state = erase(officer, subject.requester, mode)
        return (label, subject, run, counts, state), (label, left_after(subject, ticket_ids,
                                                                         files))  # fmt: skip

    print(f"\n2. Erasure of one requester (privacy.services.erasure_run_now), target "
          f"≤ {TARGET_SECONDS:.0f} s for 1,000 tickets")  # fmt: skip
    timed = [erased(mode, subjects[mode], mode) for mode in modes]
    report_erasures([result for result, _left in timed], [left for _result, left in timed])

    if not args.no_export:
        print(f"\n3. Data-subject export (ZIP) of a {args.tickets:,}-ticket requester "
              "(exports.services.export_run)")  # fmt: skip
        subject_export(officer, subjects["export"].requester)

    # Clean-up, timed too: the export's subject (their ZIP goes with them) and the
    # anonymised one (pseudonymised, their tickets kept until now), so the next run finds
    # the database as this one did.
    cleanup = [erased(label, subjects[source], "delete")
               for label, source in (("delete, after its export", "export"),
                                     ("delete, after anonymise", "anonymise"))
               if source in subjects]  # fmt: skip
    if cleanup:
        print("\n4. Clean-up: the subjects left, deleted")
        report_erasures([result for result, _left in cleanup],
                        [left for _result, left in cleanup])  # fmt: skip


if __name__ == "__main__":
    main()
