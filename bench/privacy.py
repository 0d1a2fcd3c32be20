#!/usr/bin/env python
"""Privacy benchmark, in one process (and two children for 6), on its own database
(helpdesk_bench_privacy: migrated, the demo organisation and --others other people's
tickets, seeded once, with an outbox row for each of their agents' public replies and a raw
email for each of their email tickets). Prints:

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
   interrupted run left are deleted when a run starts);
5. the access log on the ticket page (issue target: ≤ 1 ms added at p95): GET
   /tickets/<reference>/ as an agent through Django's test Client, in three arms that take
   turns request by request (as bench/identity.py does): "with" the full MIDDLEWARE,
   "no-push" the same with ``privacy.access.record`` a no-op (the same frames, no Redis),
   "without" a second Client whose handler built its chain under ``override_settings``
   without AccessLogMiddleware; wall p50/p95/mean, CPU p50, SQL statements, the
   differences and the paired requests' median difference; the middleware's own time;
   ``access.record()`` alone (µs); and ``access.drain()`` of --drain-entries queued reads
   (entries/s; its rows are deleted afterwards);
6. retention (issue target: 200,000 tickets in a day's run on 2 cores, the queue page's
   p95 raised ≤ 10 % while it runs): --retention-tickets closed tickets for a delete
   policy and --retention-anonymise for an anonymise one, closed 400 to 700 days ago, each
   mode's in a category of its own (a few through the services, the rest SQL copies with
   their messages, files, timeline, outbox and delivery logs, surveys, SLA clocks, facts
   and raw emails, shared out among requesters of their own), seeded by a child process at
   nice 10 (its database backend reniced too, when local). Each policy is saved, dry-run
   and switched on alone; ``privacy.retention.run()`` is timed in this process (tickets/s,
   the time 200,000 would take, SQL, each step of ``erase_tickets``, the COMMIT with its
   deferred foreign-key checks, CPU by process) while a child process (not niced) GETs
   /tickets/?view=all as an agent every --probe-interval s through the test Client and
   folds the queue counts every 5 s, as beat would; the page's p50/p95 during each run
   against its p95 idle (--idle-seconds before, between and after the runs). The
   anonymised tickets are deleted afterwards. --retention-pause emulates a throttle the
   app does not have (a sleep after each batch).

Sections run alone with --only (erasure: 1, 2 and 4; export: 1, 3 and 4; access: 5;
retention: 6). The Redis database is one of the bench's own (--redis-db, default 3): the
access log's queue is one key per Redis database, which the beat of a server on another
database (db 0) would otherwise drain into that server's database.

A 3-ticket subject is erased in both modes first (imports, caches; not printed), and a CSV
of the whole ticket list (another person's export) is made so the erasure's scan of
export files has one to read. Celery gets an in-memory broker (nothing reaches a worker
of another database), mail a dummy backend. The survey settings of this database are set
to survey every solved ticket (sample 100 %, no delay, no per-person limit).

    .venv/bin/python bench/privacy.py
    .venv/bin/python bench/privacy.py --tickets 5000 --others 100000 --modes delete
    .venv/bin/python bench/privacy.py --only access,retention
    .venv/bin/python bench/privacy.py --only retention --retention-tickets 200000 \
        --retention-modes delete

Not under nice: the retention seeding lowers its own priority, the measured parts keep
theirs. With the defaults it runs in about six minutes on two cores, once the others
are seeded (the first run migrates and seeds 20,000 in about a minute more): sections 1
to 4 take about a minute and a half (each subject's seeding about 15 s of it), 5 about
half a minute, 6 about four (seeding 25,000 tickets about one, the idle windows one).
--retention-tickets 200000 takes about twenty minutes (seeding eight, the run ten).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import (  # noqa: E402
    PYTHON,
    bench_env,
    cpu_seconds_by_process,
    ensure_database,
    manage,
    percentiles,
    sql,
)

if TYPE_CHECKING:
    from django.test import Client

    from accounts.models import User
    from privacy.models import RetentionPolicy
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
SECTIONS = ("erasure", "export", "access", "retention")  # --only: 1, 2 and 4; 3; 5; 6
REDIS_DB = 3  # a logical Redis database of the bench's own (--redis-db)
HOST = "localhost"  # in the default ALLOWED_HOSTS; the test Client's address is 127.0.0.1
# 5. The access log.
ACCESS_LOG = "privacy.access.AccessLogMiddleware"
BENCH_ROUTE = "bench-privacy"  # the route of the drained bench entries, deleted afterwards
DRAIN_PARTS = (
    ("privacy.access", "ensure_partitions"),
    ("privacy.access", "_insert"),
    ("privacy.access", "check_for_unusual_reading"),
)
# 6. Retention: each mode's tickets have a category of their own, which its policy covers.
RETENTION_TAG = "bench-privacy-retention"
RETENTION_CATEGORIES = {"delete": "bench-retention-d", "anonymise": "bench-retention-a"}
RETENTION_DAYS = 365  # the policies' days; the tickets were closed 400 to 700 days ago
RETENTION_TARGET = 200_000  # tickets in a day's run
RETENTION_CHUNK = 20_000  # tickets copied per transaction when seeding
QUEUE_PAGE = "/tickets/?view=all"
PAGE_TARGET = 1.10  # the queue page's p95 while retention runs, over its p95 idle
RETENTION_PARTS = (  # erase_tickets, then its steps; delete_files runs after the commit
    ("privacy.erasure", "erase_tickets"),
    ("privacy.erasure", "_forget_released_holds"),
    ("privacy.erasure", "_attachment_files"),
    ("privacy.erasure", "_raw_emails"),
    ("privacy.erasure", "_outbox"),
    ("privacy.erasure", "_delete"),
    ("privacy.erasure", "_anonymise"),
    ("privacy.erasure", "delete_files"),
)


def prepare(args: argparse.Namespace, media: str, sections: list[str]) -> dict[str, str]:
    """The bench database: migrated, the demo organisation, --others tickets (seeded once,
    if fewer); static files collected when pages are requested (DEBUG is off: they need
    the manifest)."""
    from helpdesk import embedded

    env = bench_env(args.database, CELERY_BROKER_URL="memory://", EMAIL_URL="dummymail://",
                    MEDIA_ROOT=media, REDIS_URL=embedded.redis_url(db=args.redis_db))  # fmt: skip
    if args.skip_setup:
        return env
    ensure_database(args.database)
    manage(env, "migrate", "--noinput")
    if {"access", "retention"} & set(sections):
        manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = _others(env)
    if have < args.others:
        started = time.monotonic()
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.others - have),
               "--seed", "5")  # fmt: skip
        print(f"seeded {args.others - have:,} other tickets in {time.monotonic() - started:.0f}s")
    return env


def _others(env: dict[str, str]) -> int:
    return sql(env, f"SELECT count(*) FROM tickets_ticket WHERE NOT tags && "
                    f"ARRAY['{TAG}', '{RETENTION_TAG}']::varchar[]")[0][0]  # fmt: skip


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
def measured(run: Run, wrap_parts: bool = True,
             parts: tuple[tuple[str, str], ...] = PARTS) -> Iterator[Run]:  # fmt: skip
    """Times the block and counts its statements; with ``wrap_parts``, the erasure's steps
    (``parts``) each too: wall seconds and statements, summed over their calls."""
    import importlib

    from django.db import connection

    originals: list[tuple[Any, str, Any]] = []
    if wrap_parts:
        for module_name, name in parts:
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
                   AND NOT t.tags && ARRAY['{TAG}', '{RETENTION_TAG}']::varchar[]""")  # fmt: skip
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
                   AND NOT t.tags && ARRAY['{TAG}', '{RETENTION_TAG}']::varchar[]""")  # fmt: skip
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


# --- 5. the access log --------------------------------------------------------------------


@dataclass
class Arm:
    label: str
    client: Client
    context: Callable[[], AbstractContextManager[Any]] = nullcontext


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    round_p50: list[float] = field(default_factory=list)


def signed_in_client(user: User, middleware: list[str] | None = None) -> Client:
    """A Client signed in as ``user``, its handler's middleware chain built now, from
    ``middleware`` if given (as bench/identity.py does)."""
    from django.test import Client, override_settings

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    with override_settings(MIDDLEWARE=middleware) if middleware else nullcontext():
        client.handler.load_middleware()
    return client


def timed_get(arm: Arm, path: str) -> tuple[float, float, int]:
    """Wall ms, CPU ms and the status of one GET (the arm's context entered first)."""
    with arm.context():
        wall, cpu = time.perf_counter(), time.process_time()
        status = arm.client.get(path).status_code
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, status


def alternate(arms: list[Arm], path: str, rounds: int, per_round: int) -> dict[str, Samples]:
    """The arms take turns request by request (forwards, then backwards), in rounds: drift
    on the machine falls on all alike, and the i-th samples of two arms are a pair."""
    found = {arm.label: Samples() for arm in arms}
    for _round in range(rounds):
        for n in range(per_round):
            for arm in arms if n % 2 == 0 else list(reversed(arms)):
                wall, cpu, status = timed_get(arm, path)
                if status != 200:
                    raise SystemExit(f"{arm.label}: {path} answered {status}")
                found[arm.label].wall.append(wall)
                found[arm.label].cpu.append(cpu)
        for arm in arms:
            found[arm.label].round_p50.append(statistics.median(found[arm.label].wall[-per_round:]))
    return found


@contextmanager
def replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    """``owner.name`` is ``value`` in the block (an attribute of its class: shadowed)."""
    own = name in vars(owner)
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def _no_record(**_kwargs: Any) -> None:
    return None


@contextmanager
def own_time(cls: type) -> Iterator[list[float]]:
    """A middleware's own µs per call: from entering it to its return, less the time spent
    in what it calls next (the middleware and view below it)."""
    original = cls.__call__
    own: list[float] = []

    def call(self: Any, request: Any) -> Any:
        inner, below = self.get_response, [0.0]

        def downstream(req: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(req)
            finally:
                below[0] += time.perf_counter() - started

        self.get_response = downstream
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            self.get_response = inner
            own.append((time.perf_counter() - started - below[0]) * 1e6)

    cls.__call__ = call  # type: ignore[method-assign]
    try:
        yield own
    finally:
        cls.__call__ = original  # type: ignore[method-assign]


def _us(values: list[float]) -> str:
    stats = percentiles(values)
    return (f"p50 {stats['p50']:.0f} µs, p95 {stats['p95']:.0f} µs, max {stats['max']:.0f} µs "
            f"(n={len(values):,})")  # fmt: skip


def _queries(arm: Arm, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        timed_get(arm, path)
    return len(captured.captured_queries)


def page_ticket(agent: User) -> Any:
    """An active ticket of the agent's queue, of the others, with a few messages."""
    from django.db.models import Count

    from tickets.models import Ticket

    ticket = (Ticket.objects.filter(queue__name=QUEUE, status__in=["new", "open", "pending"],
                                    merged_into__isnull=True)
              .exclude(tags__overlap=[TAG, RETENTION_TAG]).annotate(n=Count("messages"))
              .filter(n__gte=3).order_by("-pk").first())  # fmt: skip
    if ticket is None:
        raise SystemExit(f"no active ticket with 3 messages or more in {QUEUE}")
    return ticket


def access_log(args: argparse.Namespace, agent: User) -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import override_settings

    from privacy import access

    redis = access.client()
    if stale := redis.llen(access.QUEUE_KEY):
        print(f"  ({stale:,} entries were waiting in Redis: dropped)")
    redis.delete(access.QUEUE_KEY)
    cache.delete("privacy:access:drain")
    ticket = page_ticket(agent)
    path = f"/tickets/{ticket.reference}/"
    without_list = [m for m in settings.MIDDLEWARE if m != ACCESS_LOG]
    if len(without_list) == len(settings.MIDDLEWARE):
        raise SystemExit(f"{ACCESS_LOG} is not in settings.MIDDLEWARE")
    arms = [
        Arm("with", signed_in_client(agent)),
        # The same chain and frames, the push left out: tells the RPUSH from the rest.
        Arm("no-push", signed_in_client(agent),
            context=lambda: replaced(access, "record", _no_record)),
        Arm("without", signed_in_client(agent, without_list),
            context=lambda: override_settings(MIDDLEWARE=without_list)),
    ]  # fmt: skip
    pushed = []
    for arm in arms:  # each arm's chain is as meant: one push per request, or none
        before = redis.llen(access.QUEUE_KEY)
        timed_get(arm, path)
        pushed.append(redis.llen(access.QUEUE_KEY) - before)
    if pushed != [1, 0, 0]:
        raise SystemExit(f"entries queued per request {pushed} by {[a.label for a in arms]}: "
                         "the chains are not as meant")  # fmt: skip
    for _n in range(args.warmup):
        for arm in arms:
            timed_get(arm, path)
    queries = {arm.label: _queries(arm, path) for arm in arms}
    total = args.access_rounds * args.access_per_round
    print(f"\n5. Access log on the ticket page: GET {path} ({ticket.n} messages) as {AGENT}, "
          f"{total} requests per arm ({args.access_rounds} rounds of {args.access_per_round}, "
          "in turns), wall ms; target: ≤ 1 ms added at p95")  # fmt: skip
    print("  with: the full MIDDLEWARE; no-push: the same, access.record a no-op; without: "
          "AccessLogMiddleware left out")  # fmt: skip
    redis.delete(access.QUEUE_KEY)
    gc.collect()
    gc.freeze()  # as helpdesk.wsgi does once a worker is warm
    try:
        found = alternate(arms, path, args.access_rounds, args.access_per_round)
        queued = redis.llen(access.QUEUE_KEY)
        in_page: list[float] = []
        record = access.record

        def timed_record(**kwargs: Any) -> None:
            started = time.perf_counter()
            record(**kwargs)
            in_page.append((time.perf_counter() - started) * 1e6)

        with own_time(access.AccessLogMiddleware) as own, \
                replaced(access, "record", timed_record):  # fmt: skip
            for _n in range(100):
                timed_get(arms[0], path)
    finally:
        gc.unfreeze()
    redis.delete(access.QUEUE_KEY)
    rows: dict[str, dict[str, float]] = {}
    print(f"  {'':<9} {'p50':>7} {'p95':>7} {'mean':>7} {'cpu p50':>8} {'queries':>8}")
    for arm in arms:
        samples = found[arm.label]
        stats = percentiles(samples.wall)
        stats["cpu"] = statistics.median(samples.cpu)
        rows[arm.label] = stats
        print(f"  {arm.label:<9} {stats['p50']:7.2f} {stats['p95']:7.2f} {stats['mean']:7.2f} "
              f"{stats['cpu']:8.2f} {queries[arm.label]:>8}")  # fmt: skip
    for name, a, b in (("added", "with", "without"), ("push", "with", "no-push"),
                       ("frame", "no-push", "without")):  # fmt: skip
        first, second = rows[a], rows[b]
        paired = statistics.median(x - y for x, y in zip(found[a].wall, found[b].wall,
                                                         strict=True))  # fmt: skip
        rounds = " ".join(f"{x - y:+.2f}" for x, y in zip(found[a].round_p50, found[b].round_p50,
                                                          strict=True))  # fmt: skip
        verdict = ""
        if name == "added":
            verdict = "   ok" if first["p95"] - second["p95"] <= 1.0 else "   OVER"
        print(f"  {name:<9} {first['p50'] - second['p50']:+7.2f} "
              f"{first['p95'] - second['p95']:+7.2f} {first['mean'] - second['mean']:+7.2f} "
              f"{first['cpu'] - second['cpu']:+8.2f} {queries[a] - queries[b]:+8d}   "
              f"paired: wall {paired:+.3f}; rounds' p50: {rounds}{verdict}")  # fmt: skip
    print(f"  entries queued by the 'with' requests: {queued:,} of {total:,}")
    print(f"  AccessLogMiddleware's own time per request (its code and the push, not what it "
          f"calls): {_us(own)}; of which access.record(): {_us(in_page)}")  # fmt: skip
    print(f"  access.record() alone (JSON and one RPUSH), {args.records:,} calls: "
          f"{_us(record_alone(agent, ticket.reference, args.records))}")  # fmt: skip
    drain_throughput(args.drain_entries)


def record_alone(agent: User, reference: str, times: int) -> list[float]:
    from privacy import access

    samples = []
    for n in range(times + 200):  # the first 200 warm up
        started = time.perf_counter()
        access.record(kind=access.Kind.TICKET_VIEW, user_id=agent.pk, team_id=agent.team_id,
                      reference=reference, route="tickets:detail")  # fmt: skip
        if n >= 200:
            samples.append((time.perf_counter() - started) * 1e6)
    access.client().delete(access.QUEUE_KEY)
    return samples


def drain_throughput(entries: int) -> None:
    """``access.drain()`` of ``entries`` queued reads as the middleware writes them: ticket
    views (85 %), file downloads (10 %, their ticket filled in by the drain's join) and
    searches, by every active user, at times spread over the past 7 days (so the
    unusual-reading check after the drain finds no one over their norm). Their rows are
    deleted afterwards (route ``bench-privacy:…``)."""
    from django.core.cache import cache
    from django.db import connection

    from accounts.models import User
    from privacy import access
    from tickets.models import Attachment, Ticket

    if entries <= 0:
        return
    rng = random.Random(7)
    users = list(User.objects.filter(is_active=True).values_list("pk", "team_id"))
    references = list(Ticket.objects.exclude(tags__overlap=[TAG, RETENTION_TAG])
                      .order_by("?").values_list("reference", flat=True)[:2000])  # fmt: skip
    files = list(Attachment.objects.order_by("?").values_list("pk", flat=True)[:2000])
    now = time.time()
    queued = []
    for _n in range(entries):
        user_id, team_id = rng.choice(users)
        roll = rng.random()
        if roll < 0.85 or not files:
            kind, reference, object_id = access.Kind.TICKET_VIEW, rng.choice(references), None
        elif roll < 0.95:
            kind, reference, object_id = access.Kind.ATTACHMENT, "", rng.choice(files)
        else:
            kind, reference, object_id = access.Kind.SEARCH, "", None
        queued.append(json.dumps([now - rng.random() * 7 * 86400, user_id, team_id, kind,
                                  reference, object_id, f"{BENCH_ROUTE}:{kind}"[:80]],
                                 separators=(",", ":")))  # fmt: skip
    redis = access.client()
    redis.delete(access.QUEUE_KEY)
    for start in range(0, len(queued), 5000):
        redis.rpush(access.QUEUE_KEY, *queued[start : start + 5000])
    access.ensure_partitions(force=True)  # once an hour per process: not a drain's cost
    cache.delete("privacy:access:drain")
    run = Run()
    with measured(run, parts=DRAIN_PARTS):
        moved = access.drain()
    left = redis.llen(access.QUEUE_KEY)
    rate = moved / run.seconds if run.seconds else 0.0
    parts = ", ".join(f"{name} {run.parts[name][0]:.2f} s ({run.parts[name][1]:,})"
                      for _module, name in DRAIN_PARTS if name in run.parts)  # fmt: skip
    print(f"  access.drain() of {entries:,} queued entries: moved {moved:,} in {run.seconds:.2f} s "
          f"({rate:,.0f} entries/s), {left:,} left in Redis; {run.meter.count:,} SQL statements, "
          f"{run.meter.seconds:.2f} s in them; parts: {parts}")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {access.TABLE} WHERE route LIKE %s", [f"{BENCH_ROUTE}:%"])
        deleted = cursor.rowcount
        cursor.execute(f"SELECT count(*) FROM {access.TABLE}")
        kept = cursor.fetchone()[0]
    print(f"  (the {deleted:,} drained rows deleted again; {kept:,} rows in {access.TABLE})")


# --- 6. retention -------------------------------------------------------------------------


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class CpuShare:
    """CPU used while the block runs, as a share of one core: the processes named in
    ``roles`` (pid → role) each, every other by program name."""

    def __init__(self, roles: dict[int, str]) -> None:
        self.roles = roles

    def __enter__(self) -> CpuShare:
        self.first, self.began = cpu_seconds_by_process(), time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.last, self.seconds = cpu_seconds_by_process(), time.monotonic() - self.began

    def summary(self) -> str:
        used: dict[str, float] = {}
        for pid, (name, total) in self.last.items():
            role = self.roles.get(pid, f"other {name}")
            used[role] = used.get(role, 0.0) + total - self.first.get(pid, (name, 0.0))[1]
        shown = [(role, seconds / self.seconds)
                 for role, seconds in sorted(used.items(), key=lambda item: -item[1])
                 if seconds / self.seconds >= 0.01]  # fmt: skip
        return (", ".join(f"{role} {share:.0%}" for role, share in shown)
                + f" (all {sum(used.values()) / self.seconds:.0%})")  # fmt: skip


def _nice_database_backend() -> bool:
    """Lower the priority of this connection's PostgreSQL backend too (a local server only;
    it ends with the connection): the seeding's work is mostly the database's."""
    from django.db import connection

    pid = backend_pid()
    host = str(connection.settings_dict.get("HOST") or "")
    try:
        if host.startswith("/") and Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
            os.setpriority(os.PRIO_PROCESS, pid, max(10, os.getpriority(os.PRIO_PROCESS, 0)))
            return True
    except OSError:
        pass
    return False


def retention_counts(args: argparse.Namespace) -> dict[str, int]:
    return {"delete": args.retention_tickets, "anonymise": args.retention_anonymise}


def seed_retention(args: argparse.Namespace) -> dict[str, Any]:
    """In a child process, niced (``--retention-seed``): each mode's closed, old tickets."""
    from accounts.models import User
    from tickets.models import Queue

    niced = _nice_database_backend()
    agent = User.objects.get(email=AGENT)
    queue = Queue.objects.get(name=QUEUE)
    run_id = secrets.token_hex(3)
    seconds = {}
    for mode in args.retention_modes:
        started = time.perf_counter()
        retention_tickets(mode, retention_counts(args)[mode], run_id, args, agent, queue)
        seconds[mode] = time.perf_counter() - started
    return {"seconds": seconds, "niced_database": niced, "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def retention_tickets(mode: str, count: int, run_id: str, args: argparse.Namespace, agent: User,
                      queue: Queue) -> None:  # fmt: skip
    """``count`` closed tickets of the mode's category, closed 400 to 700 days ago:
    --retention-templates through the services (as the subjects' are: mail in, a reply,
    some with a file, the answer, a note, the solve and survey, then closed), the rest
    copies of those (clone_tickets, by RETENTION_CHUNK), shared out among requesters of
    their own, about three tickets each."""
    from django.db import connection

    from tickets import services
    from tickets.models import Ticket

    email = f"bench.retention.{run_id}.{mode}@retention.example"
    name = f"Retention Template-{mode.title()} {run_id}"
    requester = services.requester_get_or_create(email=email, name=name,
                                                 external_id=f"bench-ret-{run_id}-{mode}",
                                                 language="en")  # fmt: skip
    subject = Subject(mode, requester, email, name)
    templates = max(1, min(args.retention_templates, count))
    made = [_service_ticket(subject, n, f"crate-{run_id}-{mode}", args.attach_every, agent, queue)
            for n in range(templates)]  # fmt: skip
    for ticket in Ticket.objects.filter(pk__in=made):
        services.ticket_change_status(actor=agent, ticket=ticket, status="closed")
    _deliver(made)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET category = %s, tags = ARRAY[%s]::varchar[], "
            "closed_at = now() - make_interval(days => 400 + (id %% 300)::int), "
            "solved_at = now() - make_interval(days => 403 + (id %% 300)::int), "
            "created_at = now() - make_interval(days => 404 + (id %% 300)::int) "
            "WHERE id = ANY(%s)", [RETENTION_CATEGORIES[mode], RETENTION_TAG, made])  # fmt: skip
    left = count - templates
    while left > 0:
        chunk = min(left, RETENTION_CHUNK)
        clone_tickets(made, chunk)
        left -= chunk
    if count > templates:
        share_out(requester.pk, made, f"bench.retention.{run_id}.{mode}.", f"bench-ret-{run_id}-"
                  f"{mode}-", max(1, (count - templates) // 3))  # fmt: skip


SHARE_OUT = """
WITH t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM tickets_ticket
            WHERE requester_id = %(template)s AND NOT id = ANY(%(made)s)),
     p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM tickets_requester
            WHERE email LIKE %(like)s)
UPDATE tickets_ticket SET requester_id = p.id FROM t JOIN p ON p.n = t.n %% %(people)s
 WHERE tickets_ticket.id = t.id
"""


def share_out(template: int, made: list[int], prefix: str, id_prefix: str, people: int) -> None:
    """The copies of the template requester's tickets shared out among ``people`` new
    requesters (copies of the template's record), their surveys with them."""
    from django.db import connection, transaction

    from tickets.models import Requester

    with transaction.atomic(), connection.cursor() as c:
        _copy(c, Requester, "tickets_requester src CROSS JOIN generate_series(1, %s) AS g(n) "
                            "WHERE src.id = %s",
              {"email": f"'{prefix}' || g.n || '@retention.example'",
               "name": "'Retention Person ' || g.n", "external_id": f"'{id_prefix}' || g.n"},
              [people, template])  # fmt: skip
        c.execute(SHARE_OUT, {"template": template, "made": made, "like": f"{prefix}%",
                              "people": people})  # fmt: skip
        c.execute("UPDATE quality_survey s SET requester_id = t.requester_id FROM tickets_ticket t "
                  "WHERE s.ticket_id = t.id AND s.requester_id = %s "
                  "AND t.requester_id <> %s", [template, template])  # fmt: skip


def retention_rows(category: str) -> dict[str, int]:
    from django.db import connection

    from tickets.models import Ticket

    tickets = Ticket.objects.filter(category=category)
    params = {"t": list(tickets.values_list("pk", flat=True)),
              "r": list(tickets.values_list("requester_id", flat=True).distinct())}  # fmt: skip
    found = {}
    with connection.cursor() as cursor:
        for key, query in ROW_QUERIES.items():
            cursor.execute(query, params)
            found[key] = cursor.fetchone()[0]
    return found


def discard_retention(categories: list[str]) -> tuple[int, float]:
    """Delete the bench's retention tickets of these categories (an interrupted run's, or
    the anonymised ones after their run) through ``erase_tickets``, and the bench's
    requesters left with none."""
    from django.db import transaction

    from privacy import erasure
    from tickets.models import Requester, Ticket

    started, total = time.perf_counter(), 0
    while ids := list(Ticket.objects.filter(category__in=categories)
                      .values_list("pk", flat=True)[:2000]):  # fmt: skip
        with transaction.atomic():
            erasure.erase_tickets(ids, mode="delete")
        total += len(ids)
    Requester.objects.filter(email__startswith="bench.retention.", tickets__isnull=True).delete()
    return total, time.perf_counter() - started


def retention_policy(officer: User, mode: str) -> RetentionPolicy:
    """The mode's policy (made once, by its name), saved again: off, until a dry run."""
    from privacy import services
    from privacy.models import RetentionPolicy

    name = f"bench privacy: {mode}"
    policy = RetentionPolicy.objects.filter(name=name).first() or RetentionPolicy(name=name)
    policy.mode, policy.days = mode, RETENTION_DAYS
    policy.queue, policy.category, policy.channel = None, RETENTION_CATEGORIES[mode], ""
    return services.retention_policy_save(actor=officer, policy=policy)


class Probe:
    """The queue page in another process (``--probe``): GET QUEUE_PAGE as the agent every
    --probe-interval s, each sample's start (CLOCK_MONOTONIC, shared by the processes), wall
    ms and status to a file; it folds the queue counts every 5 s as beat would."""

    def __init__(self, env: dict[str, str], args: argparse.Namespace) -> None:
        self.path = Path(tempfile.mkstemp(prefix="bench-privacy-probe-")[1])
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [PYTHON, str(Path(__file__).resolve()), "--probe", str(self.path), "--probe-interval",
             str(args.probe_interval), "--database", args.database, "--skip-setup"],
            cwd=BASE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=self.errors)  # fmt: skip
        self.windows: list[tuple[str, float, float]] = []
        deadline = time.monotonic() + 180
        while not (first := self.path.read_text()).startswith("ready") or "\n" not in first:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the queue-page probe did not start:\n{self.error_text()}")
            time.sleep(0.2)
        self.backend = int(first.split("\n", 1)[0].split()[1])  # its database connection

    def error_text(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace")[-3000:]

    def idle(self, seconds: float) -> None:
        started = time.monotonic()
        time.sleep(seconds)
        self.windows.append(("idle", started, time.monotonic()))

    def stop(self) -> list[tuple[float, float, float, int]]:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        lines = self.path.read_text().splitlines()[1:]
        self.path.unlink(missing_ok=True)
        samples = []
        for line in lines:
            at, ms, cpu, status = line.split()
            samples.append((float(at), float(ms), float(cpu), int(status)))
        return samples


def probe(args: argparse.Namespace) -> None:
    """The child of ``Probe``: runs until its stdin closes."""
    from django.test import Client

    from accounts.models import User
    from tickets.tasks import refresh_queue_counts

    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(email=AGENT))
    refresh_queue_counts()
    for _n in range(15):
        if (status := client.get(QUEUE_PAGE).status_code) != 200:
            raise SystemExit(f"{QUEUE_PAGE} answered {status}")
    gc.collect()
    gc.freeze()
    stop = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    with open(args.probe, "w", buffering=1) as out:
        out.write(f"ready {backend_pid()}\n")
        fold_at = next_at = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= fold_at:  # beat's tickets-refresh-queue-counts
                refresh_queue_counts()
                fold_at = time.monotonic() + 5
            if stop.wait(max(0.0, next_at - time.monotonic())):
                break
            started, cpu = time.monotonic(), time.thread_time()
            status = client.get(QUEUE_PAGE).status_code
            out.write(f"{started:.4f} {(time.monotonic() - started) * 1000:.3f} "
                      f"{(time.thread_time() - cpu) * 1000:.3f} {status}\n")  # fmt: skip
            next_at = max(next_at + args.probe_interval, time.monotonic())


@dataclass
class RetentionRun:
    mode: str
    tickets: int
    run: Run
    done: dict[str, int]
    batches: int
    counts: dict[str, int]
    window: tuple[float, float]
    left: str
    cpu: str


def retention_run(officer: User, policy: RetentionPolicy, args: argparse.Namespace,
                  probe_: Probe) -> RetentionRun:  # fmt: skip
    """The policy switched on alone, ``retention.run()`` timed (as the daily task calls it,
    the daily cap from the settings), then switched off."""
    from django.core.files.storage import default_storage
    from django.db import connections
    from django.utils import timezone

    from privacy import erasure, retention, services
    from privacy.models import PrivacyEvent
    from tickets.models import Attachment, Message, Ticket

    category = policy.category
    tickets = Ticket.objects.filter(category=category)
    files = list(Attachment.objects.filter(message__ticket__category=category)
                 .values_list("file", flat=True))  # fmt: skip
    before = tickets.count()
    services.retention_switch(actor=officer, policy=policy, on=True)
    since = timezone.now()
    run = Run()
    commits = [0.0, 0]
    database = connections["default"]
    original_commit = database._commit  # type: ignore[attr-defined]

    def commit() -> None:  # the deferred foreign-key checks run here
        started = time.perf_counter()
        try:
            original_commit()
        finally:
            commits[0] += time.perf_counter() - started
            commits[1] += 1

    paused = [0.0]

    def pausing(original: Callable[[list[str]], None]) -> Callable[[list[str]], None]:
        def delete_files(names: list[str]) -> None:  # after each batch's commit
            original(names)
            time.sleep(args.retention_pause)
            paused[0] += args.retention_pause

        return delete_files

    roles = {os.getpid(): "retention (this process)", backend_pid(): "its postgres backend",
             probe_.process.pid: "probe", probe_.backend: "probe's postgres backend"}  # fmt: skip
    cpu = CpuShare(roles)
    started = time.monotonic()
    with cpu, replaced(database, "_commit", commit), \
            measured(run, parts=RETENTION_PARTS), \
            (replaced(erasure, "delete_files", pausing(erasure.delete_files))
             if args.retention_pause else nullcontext()):  # fmt: skip
        done = retention.run(batch=args.retention_batch or None)
    window = (started, time.monotonic())
    run.parts["COMMIT"] = (commits[0], 0)
    if paused[0]:
        run.parts["pause"] = (paused[0], 0)
    probe_.windows.append((policy.mode, *window))
    services.retention_switch(actor=officer, policy=policy, on=False)
    counts: Counter[str] = Counter()
    batches = 0
    batch_events = PrivacyEvent.objects.filter(kind=PrivacyEvent.Kind.RETENTION_BATCH,
                                               policy=policy, created_at__gte=since)  # fmt: skip
    for detail in batch_events.values_list("detail", flat=True):
        batches += 1
        counts.update(detail.get("counts", {}))
    stored = sum(1 for name in files if default_storage.exists(name))
    if policy.mode == "delete":
        left = f"tickets {tickets.count():,}"
    else:
        messages = Message.objects.filter(ticket__category=category).exclude(body=erasure.ERASED)
        named = tickets.exclude(requester__external_id=erasure.RETENTION_PLACEHOLDER)
        files_left = Attachment.objects.filter(message__ticket__category=category).count()
        left = (f"tickets {tickets.count():,} (kept), not moved to the placeholder requester "
                f"{named.count():,}, subjects not erased "
                f"{tickets.exclude(subject=erasure.ERASED).count():,}, messages not erased "
                f"{messages.count():,}, files {files_left:,}")  # fmt: skip
    left += f"; files in storage {stored:,} of {len(files):,}"
    return RetentionRun(policy.mode, before, run, done, batches, dict(counts), window, left,
                        cpu.summary())  # fmt: skip


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def retention_bench(args: argparse.Namespace, env: dict[str, str], officer: User) -> None:
    from privacy import services
    from privacy.models import RetentionPolicy

    modes = args.retention_modes
    counts = retention_counts(args)
    print(f"\n6. Retention: {', '.join(f'{counts[m]:,} tickets to {m}' for m in modes)}, closed "
          f"400-700 days ago, each mode's policy ({RETENTION_DAYS} days, its own category) "
          f"alone; target {RETENTION_TARGET:,} tickets in a day's run on 2 cores, the queue "
          f"page's p95 raised ≤ {PAGE_TARGET - 1:.0%} while it runs")  # fmt: skip
    for other in switch_off_other_policies(officer):
        print(f"  (switched off another policy that was on: {other})")
    started = time.perf_counter()
    result = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--retention-seed", "--database", args.database,
         "--skip-setup", "--retention-modes", ",".join(modes),
         "--retention-tickets", str(args.retention_tickets),
         "--retention-anonymise", str(args.retention_anonymise),
         "--retention-templates", str(args.retention_templates),
         "--attach-every", str(args.attach_every)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False,
        preexec_fn=lambda: os.nice(10))  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"seeding the retention tickets failed:\n{result.stdout[-2000:]}\n"
                         f"{result.stderr[-4000:]}")  # fmt: skip
    seeded = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"  seeded in {time.perf_counter() - started:.0f} s in a child process at nice "
          f"{seeded['nice']}" + (" (its database backend too)" if seeded["niced_database"]
                                 else "") + "; each mode's tickets and their rows:")  # fmt: skip
    keys = list(ROW_QUERIES)
    print(f"  {'mode':<10} {'seeded s':>8}  "
          + " ".join(f"{key:>{max(len(key), 6)}}" for key in keys))  # fmt: skip
    for mode in modes:
        rows = retention_rows(RETENTION_CATEGORIES[mode])
        print(f"  {mode:<10} {seeded['seconds'][mode]:>8.1f}  "
              + " ".join(f"{rows[key]:>{max(len(key), 6)},}" for key in keys))  # fmt: skip

    policies = {}
    for mode in modes:
        policy = retention_policy(officer, mode)
        began = time.perf_counter()
        count = services.retention_dry_run(actor=officer, policy=policy)
        print(f"  policy '{policy.name}': dry run counts {count:,} in "
              f"{time.perf_counter() - began:.2f} s")  # fmt: skip
        policies[mode] = RetentionPolicy.objects.get(pk=policy.pk)

    probe_ = Probe(env, args)
    runs = []
    try:
        probe_.idle(args.idle_seconds)
        for mode in modes:
            runs.append(retention_run(officer, policies[mode], args, probe_))
            probe_.idle(args.idle_seconds)
    finally:
        samples = probe_.stop()

    print(f"\n  retention.run() (batch {args.retention_batch or 'PRIVACY_RETENTION_BATCH'}, "
          "the daily cap from the settings), in this process, while the probe reads the "
          "queue page")  # fmt: skip
    if args.retention_pause:
        print(f"  EMULATED throttle: a {args.retention_pause:g} s sleep after each batch's commit "
              "(the app has no such setting; wall time and tickets/s include it)")  # fmt: skip
    print(f"  {'mode':<10} {'tickets':>8} {'wall s':>8} {'tickets/s':>9} {'200k in':>8} "
          f"{'target':>7} {'batches':>7} {'SQL':>9} {'in SQL s':>8}")  # fmt: skip
    for r in runs:
        done = sum(r.done.values())
        rate = done / r.run.seconds if r.run.seconds else 0.0
        projected = RETENTION_TARGET / rate if rate else float("inf")
        verdict = "ok" if projected <= 86_400 else "OVER"
        print(f"  {r.mode:<10} {done:>8,} {r.run.seconds:>8.1f} {rate:>9.1f} "
              f"{_clock(projected) if rate else '-':>8} {verdict:>7} {r.batches:>7,} "
              f"{r.run.meter.count:>9,} {r.run.meter.seconds:>8.1f}")  # fmt: skip
    for r in runs:
        print(f"  {r.mode}: counts {r.counts}")
        print(f"  {'':<{len(r.mode)}}  statements: {r.run.meter.kinds_text()}")
    print("\n  each part of the run: wall s (SQL statements)")
    print(f"  {'part':<26}" + "".join(f" {r.mode:>18}" for r in runs))
    for _module, name in (*RETENTION_PARTS, ("", "COMMIT"), ("", "pause")):
        cells = [f"{r.run.parts[name][0]:.2f} ({r.run.parts[name][1]:,})" if name in r.run.parts
                 else "-" for r in runs]  # fmt: skip
        if any(cell != "-" for cell in cells):
            label = f"  {name}" if name.startswith("_") else name
            print(f"  {label:<26}" + "".join(f" {cell:>18}" for cell in cells))
    cells = []
    for r in runs:
        inside = sum(r.run.parts.get(n, (0.0, 0))[0] for n in ("erase_tickets", "delete_files",
                                                                "COMMIT", "pause"))  # fmt: skip
        statements = sum(r.run.parts.get(n, (0.0, 0))[1] for n in ("erase_tickets",
                                                                   "delete_files"))  # fmt: skip
        cells.append(f"{r.run.seconds - inside:.2f} ({r.run.meter.count - statements:,})")
    print(f"  {'rest: eligible, lock, audit':<26}" + "".join(f" {cell:>18}" for cell in cells))
    print(f"\n  CPU while each ran (share of one core; the machine has {os.cpu_count()}):")
    for r in runs:
        print(f"  {r.mode:<10} {r.cpu}")
    print("\n  left afterwards:")
    for r in runs:
        print(f"  {r.mode:<10} {r.left}")

    report_probe(samples, probe_.windows, args)
    if "anonymise" in modes:
        deleted, seconds = discard_retention([RETENTION_CATEGORIES["anonymise"]])
        print(f"\n  clean-up: the {deleted:,} anonymised tickets deleted (erase_tickets, by 2,000) "
              f"in {seconds:.1f} s")  # fmt: skip


def switch_off_other_policies(officer: User) -> list[str]:
    """Policies that are on other than the bench's: ``retention.run`` runs every one."""
    from privacy import services
    from privacy.models import RetentionPolicy

    found = []
    for policy in RetentionPolicy.objects.filter(is_active=True):
        services.retention_switch(actor=officer, policy=policy, on=False)
        found.append(policy.name)
    return found


def report_probe(samples: list[tuple[float, float, float, int]],
                 windows: list[tuple[str, float, float]],
                 args: argparse.Namespace) -> None:  # fmt: skip
    """The queue page's samples by window (a sample belongs to the window it started in):
    idle (before, between and after the runs) and during each run."""
    by_label: dict[str, list[float]] = {}
    cpu_by_label: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for label, start, end in windows:
        for at, ms, cpu_ms, status in samples:
            if start <= at < end:
                by_label.setdefault(label, []).append(ms)
                cpu_by_label.setdefault(label, []).append(cpu_ms)
                errors[label] += status != 200
    idle = percentiles(by_label.get("idle", []))
    idle_windows = sum(1 for label, *_rest in windows if label == "idle")
    print(f"\n  the queue page (GET {QUEUE_PAGE} as {AGENT}, test Client in another process, "
          f"one request every {args.probe_interval:g} s, the queue counts folded every 5 s), "
          f"wall ms:")  # fmt: skip
    print(f"  {'window':<28} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7} {'cpu p50':>7} "
          f"{'cpu p95':>7} {'p95 ratio':>9}  target")  # fmt: skip
    for label in ["idle", *[label for label, *_rest in windows if label != "idle"]]:
        stats = percentiles(by_label.get(label, []))
        name = (f"idle ({idle_windows} × {args.idle_seconds:g} s)" if label == "idle"
                else f"retention {label} running")  # fmt: skip
        ratio, verdict = "", ""
        if label != "idle" and idle["p95"]:
            value = stats["p95"] / idle["p95"]
            ratio = f"{value:.2f}"
            verdict = "ok" if value <= PAGE_TARGET else "OVER"
        error = f"  ({errors[label]} not 200)" if errors[label] else ""
        cpu = percentiles(cpu_by_label.get(label, []))
        print(f"  {name:<28} {stats['n']:>5} {stats['p50']:>7.1f} {stats['p95']:>7.1f} "
              f"{stats['max']:>7.1f} {cpu['p50']:>7.1f} {cpu['p95']:>7.1f} {ratio:>9}  "
              f"{verdict}{error}")  # fmt: skip


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="helpdesk_bench_privacy")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"sections to run: some of {', '.join(SECTIONS)}")  # fmt: skip
    parser.add_argument("--redis-db", type=int, default=REDIS_DB,
                        help="this bench's Redis database (cache, access-log queue)")  # fmt: skip
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
    access = parser.add_argument_group("5. the access log")
    access.add_argument("--access-rounds", type=int, default=4)
    access.add_argument("--access-per-round", type=int, default=40,
                        help="ticket-page requests per arm and round")  # fmt: skip
    access.add_argument("--warmup", type=int, default=10, help="requests per arm")
    access.add_argument("--records", type=int, default=5000, help="access.record() calls timed")
    access.add_argument("--drain-entries", type=int, default=50_000)
    retention = parser.add_argument_group("6. retention")
    retention.add_argument("--retention-tickets", type=int, default=20_000,
                           help="tickets the delete policy reaches")  # fmt: skip
    retention.add_argument("--retention-anonymise", type=int, default=5000,
                           help="tickets the anonymise policy reaches")  # fmt: skip
    retention.add_argument("--retention-modes", default="delete,anonymise")
    retention.add_argument("--retention-templates", type=int, default=24,
                           help="of each mode's tickets, made through the services")  # fmt: skip
    retention.add_argument("--retention-batch", type=int, default=0,
                           help="retention.run's batch (default: the setting's)")  # fmt: skip
    retention.add_argument("--retention-pause", type=float, default=0.0,
                           help="emulated throttle: seconds slept after each batch")  # fmt: skip
    retention.add_argument("--probe-interval", type=float, default=0.25,
                           help="seconds between the queue page's requests")  # fmt: skip
    retention.add_argument("--idle-seconds", type=float, default=20.0,
                           help="queue page idle: before, between, after the runs")  # fmt: skip
    # The children this script starts (not for use by hand).
    parser.add_argument("--probe", default="", help=argparse.SUPPRESS)
    parser.add_argument("--retention-seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not set(modes) <= {"delete", "anonymise"}:
        raise SystemExit("--modes takes delete and/or anonymise")
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    if not sections or not set(sections) <= set(SECTIONS):
        raise SystemExit(f"--only takes some of {', '.join(SECTIONS)}")
    if args.no_export and "export" in sections:
        sections.remove("export")
    args.retention_modes = [m.strip() for m in args.retention_modes.split(",") if m.strip()]
    if not args.retention_modes or not set(args.retention_modes) <= {"delete", "anonymise"}:
        raise SystemExit("--retention-modes takes delete and/or anonymise")

    if args.probe or args.retention_seed:  # a child: the parent's environment as it is
        import django

        django.setup()
        logging.getLogger("kombu").setLevel(logging.ERROR)
        if args.probe:
            probe(args)
        else:
            print(json.dumps(seed_retention(args)))
        return

    began = time.monotonic()
    media = tempfile.mkdtemp(prefix="bench-privacy-media-")
    try:
        env = prepare(args, media, sections)
        os.environ.update(env)
        import django

        django.setup()
        logging.getLogger("kombu").setLevel(logging.ERROR)  # "no hostname" for memory://
        bench(args, env, sections, modes if "erasure" in sections else [], media)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    print(f"\n(ran {time.monotonic() - began:.0f} s)")


def bench(args: argparse.Namespace, env: dict[str, str], sections: list[str], modes: list[str],
          media: str) -> None:  # fmt: skip
    from django.db import connection

    from accounts.models import User
    from tickets.models import Queue

    officer = User.objects.get(email=OFFICER)
    agent = User.objects.select_related("team").get(email=AGENT)
    queue = Queue.objects.get(name=QUEUE)
    expire_stale_exports()
    if left := discard_leftovers(officer):
        print(f"deleted {left} subject(s) an interrupted run had left")
    stale, seconds = discard_retention(list(RETENTION_CATEGORIES.values()))
    if stale:
        print(f"deleted {stale:,} retention tickets an interrupted run had left "
              f"({seconds:.0f} s)")  # fmt: skip
    survey_every_solve(officer)
    notifications, raw_emails = others_extras()
    commit = os.popen(f"git -C {BASE_DIR} rev-parse --short HEAD").read().strip()  # noqa: S605
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"{BASE_DIR} at {commit}; {args.database} ({size}): {_others(env):,} other tickets, "
          f"{notifications:,} outbox rows, {raw_emails:,} raw emails; officer {OFFICER}; "
          f"MEDIA_ROOT {media} (FileSystemStorage); Redis db {args.redis_db}; "
          f"sections: {', '.join(sections)}")  # fmt: skip
    if {"erasure", "export"} & set(sections):
        erasure_sections(args, sections, modes, officer, agent, queue)
    if "access" in sections:
        access_log(args, agent)
    if "retention" in sections:
        retention_bench(args, env, officer)


def erasure_sections(args: argparse.Namespace, sections: list[str], modes: list[str],
                     officer: User, agent: User, queue: Queue) -> None:  # fmt: skip
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
    wanted = [*modes, *(["export"] if "export" in sections else [])]
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

    if modes:
        print(f"\n2. Erasure of one requester (privacy.services.erasure_run_now), target "
              f"≤ {TARGET_SECONDS:.0f} s for 1,000 tickets")  # fmt: skip
        timed = [erased(mode, subjects[mode], mode) for mode in modes]
        report_erasures([result for result, _left in timed], [left for _result, left in timed])

    if "export" in subjects:
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
