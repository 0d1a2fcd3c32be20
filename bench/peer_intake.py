#!/usr/bin/env python
"""Peer intake benchmark: new tickets through django-helpdesk 2.6.1's public form
(/tickets/submit/) on this machine, measured as bench/intake.py measures ours: gunicorn with 2
sync workers, each create a GET of the form then the POST (timed), 10 warm-up creates, one
client for half the time, then 8 clients with CPU sampled; then the SQL statements of one
create (django.test.Client in the peer's Python, queries captured).

The peer gets its own virtualenv (.local/peer-venv, made once), project (.local/peer-project,
rewritten each run; nothing of this repository on its path: both name a package `helpdesk`)
and database peer_helpdesk_<tickets> on the embedded PostgreSQL, seeded by bulk SQL (one
follow-up per ticket, as the form makes). Settings: DEBUG off, teams mode off, CONN_MAX_AGE
60 with health checks (as ours), and Django's dummy email backend (what our dummymail:// is):
django-helpdesk renders the submitter's receipt (text and HTML) inside the request and hands
it to the backend, which sends nothing; ours leaves the receipt to a Celery worker.

    .venv/bin/python bench/peer_intake.py --tickets 100000
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import (  # noqa: E402
    CpuSampler,
    Session,
    ensure_database,
    load_creates,
    percentiles,
    row,
    server,
)

VENV = BASE_DIR / ".local" / "peer-venv"
PROJECT = BASE_DIR / ".local" / "peer-project"
PEER_PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ["django-helpdesk==2.6.1", "gunicorn", "psycopg[binary]"]
FORM = "/tickets/submit/"

SETTINGS = """\
import os

SECRET_KEY = "peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_DATABASE"],
    "USER": "postgres", "HOST": os.environ["PEER_PG_HOST"], "PORT": os.environ["PEER_PG_PORT"],
    "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
}}
SITE_ID = 1
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"  # renders, sends nothing
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
HELPDESK_TEAMS_MODE_ENABLED = False  # its default (True) needs pinax-teams
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
"""
URLS = """\
from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""
WSGI = "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n"
# One create through django.test.Client in the peer's process: a warm-up, then counted.
QUERIES = """\
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from helpdesk.models import Queue
queue = Queue.objects.get(slug="public")
client = Client()
def post(n):
    return client.post("/tickets/submit/", {"queue": queue.id, "title": "Cannot sign in",
        "body": "Since this morning the app says my password is wrong.", "priority": 3,
        "submitter_email": f"queries-{n}@example.net", "due_date": ""})
post(0)
client.get("/tickets/submit/")
with CaptureQueriesContext(connection) as get:
    client.get("/tickets/submit/")
with CaptureQueriesContext(connection) as made:
    response = post(1)
print(f"  form page (GET)  {len(get.captured_queries):3d} queries")
print(f"  create (POST)    {len(made.captured_queries):3d} queries, status {response.status_code}")
for query in made.captured_queries:
    print("    " + " ".join(query["sql"].split())[:110])
"""


def ensure_venv() -> None:
    marker = VENV / ".installed"
    if marker.exists():
        return
    print(f"Creating {VENV} …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(PEER_PYTHON), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
                   check=True)  # fmt: skip
    marker.touch()


def write_project() -> None:
    (PROJECT / "peer_site").mkdir(parents=True, exist_ok=True)
    for name, text in (("__init__.py", ""), ("settings.py", SETTINGS), ("urls.py", URLS),
                       ("wsgi.py", WSGI)):  # fmt: skip
        (PROJECT / "peer_site" / name).write_text(text)


def peer_env(database: str) -> dict[str, str]:
    from helpdesk import embedded

    location = embedded.ensure_postgres()
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "peer_site.settings",
            "PYTHONPATH": str(PROJECT), "PEER_DATABASE": database,
            "PEER_PG_HOST": str(location.socket_dir),
            "PEER_PG_PORT": str(location.port)}  # fmt: skip


def peer(env: dict[str, str], *args: str) -> str:
    """The peer's Python, run in its project directory (none of this repository on its path)."""
    result = subprocess.run([str(PEER_PYTHON), *args], cwd=PROJECT, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"peer {' '.join(args)[:60]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def peer_sql(database: str, query: str) -> list[tuple]:
    import psycopg

    from helpdesk import embedded

    location = embedded.ensure_postgres()
    with psycopg.connect(host=str(location.socket_dir), port=location.port, user="postgres",
                         dbname=database) as conn:  # fmt: skip
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


SEED_TICKETS = """
    INSERT INTO helpdesk_ticket (title, queue_id, created, modified, submitter_email, status,
        on_hold, description, priority, secret_key)
    SELECT 'Seeded ticket ' || g, %(queue)s, now() - g * interval '1 minute',
        now() - g * interval '1 minute', 'seed-' || g || '@example.net', 1 + g %% 4, false,
        'Seeded description ' || g, 1 + g %% 5, gen_random_uuid()::text
    FROM generate_series(1, %(count)s) AS g"""
SEED_FOLLOWUPS = """
    INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, email_recipients)
    SELECT t.id, t.created, 'Ticket Opened Via Web', t.description, true,
        jsonb_build_array(t.submitter_email)
    FROM helpdesk_ticket t
    WHERE NOT EXISTS (SELECT 1 FROM helpdesk_followup f WHERE f.ticket_id = t.id)"""


def seed(database: str, tickets: int, queue_id: int) -> None:
    """Tickets (with a follow-up each, as the form makes) by bulk SQL, up to ``tickets``."""
    have = peer_sql(database, "SELECT count(*) FROM helpdesk_ticket")[0][0]
    if have >= tickets:
        return
    print(f"Seeding {tickets - have:,} tickets into {database} …", flush=True)
    peer_sql(database, SEED_TICKETS % {"queue": queue_id, "count": tickets - have})
    peer_sql(database, SEED_FOLLOWUPS)
    peer_sql(database, "ANALYZE")


def _submit(session: Session, queue_id: int, n: int) -> tuple[float, int]:
    """One public-form create, as a browser sends it (form page, then the post)."""
    _, page, _ = session.request("GET", FORM)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    started = time.perf_counter()
    status, _, _ = session.request("POST", FORM, {
        "csrfmiddlewaretoken": token.group(1) if token else "", "queue": queue_id,
        "title": f"I cannot sign in ({n})",
        "body": "Since this morning the app says my password is wrong.",
        "submitter_email": f"bench-{n}-{time.monotonic_ns()}@example.net",
        "priority": 3, "due_date": "",
    })  # fmt: skip
    return (time.perf_counter() - started) * 1000, status


@contextmanager
def peer_gunicorn(env: dict[str, str], port: int) -> Iterator[str]:
    """gunicorn as bench/intake.py runs ours (2 sync workers), started in the peer's project
    directory: gunicorn puts the directory it starts in on the path, and this repository's
    own `helpdesk` package would shadow django-helpdesk's."""
    command = [str(VENV / "bin" / "gunicorn"), "peer_site.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--threads", "1", "--worker-class", "sync",
               "--log-level", "warning"]  # fmt: skip
    with server(command, env, port, FORM, cwd=PROJECT) as host:
        yield host


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=8792)
    args = parser.parse_args()

    database = f"peer_helpdesk_{args.tickets}"
    ensure_venv()
    write_project()
    ensure_database(database)
    env = peer_env(database)
    peer(env, "-m", "django", "migrate", "--no-input")
    peer(env, "-c", "import django; django.setup(); from helpdesk.models import Queue; "
         "Queue.objects.get_or_create(slug='public', defaults={'title': 'Public', "
         "'allow_public_submission': True})")  # fmt: skip
    queue_id = peer_sql(database, "SELECT id FROM helpdesk_queue WHERE slug = 'public'")[0][0]
    seed(database, args.tickets, queue_id)
    count = peer_sql(database, "SELECT count(*) FROM helpdesk_ticket")[0][0]
    print(f"{database}: {count:,} tickets (django-helpdesk 2.6.1)")

    def submit(session: Session, n: int) -> tuple[float, int]:
        return _submit(session, queue_id, n)

    with peer_gunicorn(env, args.port) as host:
        one = Session(host)
        for n in range(10):  # warm both workers' caches
            submit(one, -n - 1)
        samples, made, errors = load_creates(host, 1, args.seconds / 2, submit)
        print(row("public form, 1 client", {**percentiles(samples), "errors": errors}))
        print(f"  {made / (args.seconds / 2):.1f} creates/s")
        with CpuSampler() as cpu:
            samples, made, errors = load_creates(host, args.clients, args.seconds, submit)
        print(row(f"public form, {args.clients} clients",
                  {**percentiles(samples), "errors": errors}))  # fmt: skip
        print(f"  {made / args.seconds:.1f} creates/s; CPU: {cpu.summary()}")
    print("\nSQL statements for one new ticket through the public form (after a warm-up):")
    print(peer(env, "-c", QUERIES), end="")


if __name__ == "__main__":
    main()
