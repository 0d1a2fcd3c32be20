#!/usr/bin/env python
"""Intake benchmark: new tickets through the public help center's form, one client and 8 at
once, with gunicorn (sync workers, as deployed), a Celery worker delivering every receipt
and beat running; then the SQL queries each intake path (help center, email, in-app, API)
makes for one new ticket. Seeds (or reuses) its own database at the given size.

    .venv/bin/python bench/intake.py --tickets 100000
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import (  # noqa: E402
    CpuSampler,
    Session,
    bench_env,
    celery,
    ensure_database,
    gunicorn,
    load_creates,
    manage,
    percentiles,
    row,
    sql,
)


def _submit(session: Session, n: int) -> tuple[float, int]:
    """One help-center request, the way a browser sends it (form page, then the post)."""
    _, page, _ = session.request("GET", "/help/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    started = time.perf_counter()
    status, _, _ = session.request("POST", "/help/", {
        "csrfmiddlewaretoken": token.group(1) if token else "",
        "email": f"bench-{n}-{time.monotonic_ns()}@example.net", "name": "Bench Requester",
        "category": "account", "subject": f"I cannot sign in ({n})",
        "description": "Since this morning the app says my password is wrong.",
        "website": "",
    })  # fmt: skip
    return (time.perf_counter() - started) * 1000, status


def _receipts_pending(env: dict[str, str]) -> int:
    return sql(env, "SELECT count(*) FROM tickets_notification WHERE kind = 'help_center_ack' "
                    "AND state <> 'sent'")[0][0]  # fmt: skip


def _queries_per_path(env: dict[str, str]) -> None:
    """SQL statements for one new ticket through each way in, counted in this process."""
    import os

    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from tickets.intake import email as email_services
    from tickets.intake.help_center import help_center_submit
    from tickets.intake.inapp import app_client_create, inapp_request_create
    from tickets.models import Queue
    from tickets.services import requester_get_or_create, ticket_create

    stamp = time.monotonic_ns()
    queue = Queue.objects.get(slug="general-support")
    admin = User.objects.get(email="admin@example.com")
    client, _key = app_client_create(name=f"Bench app {stamp}", queue=queue)

    def help_center(n: int) -> None:
        help_center_submit(email=f"help-{stamp}-{n}@example.net", name="Bench",
                           subject="Cannot sign in", body="My password stopped working.",
                           category="account", language="en")  # fmt: skip

    def email(n: int) -> None:
        raw = (f"From: mail-{stamp}-{n}@example.net\r\nTo: support@example.com\r\n"
               f"Subject: Cannot sign in\r\nMessage-ID: <bench-{stamp}-{n}@example.net>\r\n"
               "\r\nMy password stopped working this morning.\r\n").encode()  # fmt: skip
        email_services.email_ingest(raw)

    def in_app(n: int) -> None:
        inapp_request_create(
            client=client, user_id=f"bench-{stamp}-{n}", email="", name="", language="en",
            subject="The app closes", description="It closes when I open settings.",
            category="", app_version="5.2.1", device="Pixel 8", extra={},
        )  # fmt: skip

    def api(n: int) -> None:
        requester = requester_get_or_create(actor=admin, email=f"api-{stamp}-{n}@example.net")
        ticket_create(actor=admin, requester=requester, queue=queue, subject="By API",
                      body="Filed by an integration.", channel="api")  # fmt: skip

    print("\nSQL statements for one new ticket (a first one warms the process's caches):")
    for label, create in (("help center", help_center), ("email", email), ("in-app", in_app),
                          ("API (service)", api)):  # fmt: skip
        create(0)
        with CaptureQueriesContext(connection) as captured:
            create(1)
        print(f"  {label:<16} {len(captured.captured_queries):3d} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()

    database = f"helpdesk_bench_intake_{args.tickets}"
    env = bench_env(database, HELP_CENTER_RATE="100000000/m", EMAIL_ACK_LIMIT="100000000",
                    EMAIL_URL="dummymail://", INBOUND_EMAIL_QUEUE="general-support")  # fmt: skip
    ensure_database(database)
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")  # DEBUG is off: pages need the manifest
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        print(f"Seeding {args.tickets - have:,} tickets into {database} …", flush=True)
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.tickets - have))
    else:
        manage(env, "seed_demo", "--quiet-logins")
    print(f"{database}: {sql(env, 'SELECT count(*) FROM tickets_ticket')[0][0]:,} tickets")

    with gunicorn(env, args.port, workers=2, threads=1, worker_class="sync") as host, celery(env):
        one = Session(host)
        for n in range(10):  # warm both workers' caches
            _submit(one, -n - 1)
        samples, made, errors = load_creates(host, 1, args.seconds / 2, _submit)
        print(row("help center, 1 client", {**percentiles(samples), "errors": errors}))
        print(f"  {made / (args.seconds / 2):.1f} creates/s")
        with CpuSampler() as cpu:
            samples, made, errors = load_creates(host, args.clients, args.seconds, _submit)
        print(row(f"help center, {args.clients} clients",
                  {**percentiles(samples), "errors": errors}))  # fmt: skip
        print(f"  {made / args.seconds:.1f} creates/s; CPU: {cpu.summary()}")
        started = time.monotonic()
        while _receipts_pending(env) and time.monotonic() - started < 300:
            time.sleep(0.5)
        left = _receipts_pending(env)
        print(f"  every receipt delivered {time.monotonic() - started:.1f} s after the load"
              + (f" ({left} still pending)" if left else ""))  # fmt: skip
    _queries_per_path(env)


if __name__ == "__main__":
    main()
