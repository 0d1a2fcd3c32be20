#!/usr/bin/env python
"""CSAT benchmark: seeds (or reuses) N tickets in its own database, gives S recently
solved ones a sent survey, starts gunicorn as deployed (sync workers) and measures:

- the one-click rating: GET of a survey link with ``?score=`` from a fresh session (no
  sign-in), which records the rating (survey row, timeline event, analytics fact) and
  renders the page in the survey's language; p50/p95/p99 over distinct surveys, and a
  second click on the same link (nothing to write);
- sending due surveys: S2 surveys falling due at once, sent by ``surveys_send_due`` in
  its batches (mail rendered in each survey's language, written through the outbox);
- the leads' ratings list, for an admin and a vendor's lead;
- QA: starting a sampling cycle (``--agents`` agents made to share the seeded tickets'
  replies, so the cycle samples that many people), the review page as its reviewer (and
  its query count), and the QA numbers (the IQS tile) for a vendor's lead over 90 days.

    .venv/bin/python bench/quality.py --tickets 100000 --surveys 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import Session, bench_env, ensure_database, gunicorn, manage, sql  # noqa: E402

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
PORT = 8743

# Surveys on the newest solved tickets that have none, sent now; prints their links' paths.
MAKE_SURVEYS = """
import json
from django.db import connection
from django.utils import timezone
from quality import services
from quality.models import Survey
now = timezone.now()
with connection.cursor() as cursor:
    cursor.execute('''
      SELECT t.id, t.requester_id, t.language FROM tickets_ticket t
       WHERE t.status IN ('solved', 'closed') AND NOT EXISTS (
             SELECT 1 FROM quality_survey s WHERE s.ticket_id = t.id)
       ORDER BY t.id DESC LIMIT %s''', [{count}])
    rows = cursor.fetchall()
    # Solved again (the seed closes most): a closed ticket's survey takes no rating.
    cursor.execute("UPDATE tickets_ticket SET status = 'solved' WHERE id = ANY(%s)",
                   [[row[0] for row in rows]])
state = "{state}"
made = Survey.objects.bulk_create([
    Survey(ticket_id=t, requester_id=r, language=l or "en", state=state, solved_at=now,
           due_at=now, sent_at=now if state == "sent" else None) for t, r, l in rows])
print(json.dumps([services.rating_url(s).split("/", 3)[3] for s in made]))
"""

# N agents (half at Northwind), the seeded agent replies shared out among them, a
# scorecard and twenty in-house reviewers; idempotent.
MAKE_AGENTS = """
import json
from django.db import connection
from accounts.models import Team, User
from quality import qa
from quality.models import Scorecard
from quality.scoring import Category
admin = User.objects.get(email="admin@example.com")
have = User.objects.filter(email__startswith="bench.agent.").count()
inhouse = Team.objects.filter(vendor__isnull=True).first()
north = Team.objects.filter(vendor__name__startswith="Northwind").first()
User.objects.bulk_create([
    User(email=f"bench.agent.{{n}}@example.com", full_name=f"Bench Agent {{n}}", role="agent",
         team=north if n % 2 else inhouse, is_active=True)
    for n in range(have, {agents})], batch_size=2000)
ids = list(User.objects.filter(email__startswith="bench.agent.").values_list("id", flat=True))
with connection.cursor() as cursor:
    cursor.execute(
        "UPDATE tickets_message AS m SET author_id = (%s::bigint[])[1 + (m.id %% %s)] "
        "WHERE m.author_type = 'agent'", [ids, len(ids)])
if not Scorecard.objects.filter(name="Bench").exists():
    qa.scorecard_save(actor=admin, scorecard=None, name="Bench", description="", queues=[],
                      languages=[], vendors=[], pass_mark=80, categories=[
                          Category("greeting", "Greeting", 1, "pass_fail"),
                          Category("accuracy", "Accuracy", 3, "five"),
                          Category("privacy", "Privacy", 2, "pass_fail", critical=True)])
if not User.objects.filter(email__startswith="bench.reviewer.").exists():
    from django.contrib.auth.hashers import make_password
    password = make_password("helpdesk-demo")
    User.objects.bulk_create([User(email=f"bench.reviewer.{{n}}@example.com",
                                   full_name=f"Bench Reviewer {{n}}", role="lead",
                                   team=inhouse, password=password) for n in range(20)])
qa.reviewers_set(actor=admin, users=User.objects.filter(email__startswith="bench.reviewer."))
print(json.dumps({{"agents": len(ids)}}))
"""

START_CYCLE = """
import json, time
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from quality import qa
admin = User.objects.get(email="admin@example.com")
now = timezone.now()
started = time.perf_counter()
cycle, sample = qa.cycle_start(actor=admin, name="bench", starts_at=now - timedelta(days={days}),
                               ends_at=now, quota={quota})
seconds = time.perf_counter() - started
review = cycle.reviews.exclude(reviewer=None).select_related("reviewer").first()
print(json.dumps({{"seconds": seconds, "reviews": len(sample.reviews), "agents": sample.agents,
                  "unassigned": sample.unassigned, "review": review.pk,
                  "reviewer": review.reviewer.email}}))
"""

QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
client = Client(SERVER_NAME="localhost")
client.force_login(User.objects.get(email="{email}"))
client.get("{path}")
with CaptureQueriesContext(connection) as captured:
    status = client.get("{path}").status_code
print(json.dumps({{"status": status, "queries": len(captured.captured_queries)}}))
"""

SEND_DUE = """
import json, time
from quality import services
started, counts = time.perf_counter(), {{}}
while True:
    done = services.surveys_send_due(limit={batch})
    for k, v in done.items():
        counts[k] = counts.get(k, 0) + v
    if sum(done.values()) < {batch}:
        break
print(json.dumps({{"seconds": time.perf_counter() - started, **counts}}))
"""


def _ms(values: list[float]) -> str:
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return (
        f"p50 {statistics.median(ordered):.1f} ms, p95 {q(0.95):.1f} ms, "
        f"p99 {q(0.99):.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--surveys", type=int, default=2000, help="surveys rated by one click")
    parser.add_argument("--send", type=int, default=5000, help="surveys falling due at once")
    parser.add_argument("--agents", type=int, default=5000, help="agents a cycle samples")
    parser.add_argument(
        "--cycle-days", type=int, nargs="+", default=[7, 365],
        help="each cycle's period in days (one cycle each; 365 samples the whole seed)",
    )  # fmt: skip
    args = parser.parse_args()

    database = f"helpdesk_bench_quality_{args.tickets}"
    env = bench_env(database, CSAT_SEND_SECONDS="3600")
    ensure_database(database)
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        started = time.monotonic()
        manage(
            env,
            "seed_demo",
            "--quiet-logins",
            "--tickets",
            str(args.tickets - have),
            "--open-share",
            "0.1",
            "--seed",
            "11",
        )
        print(f"seeded {args.tickets - have} tickets in {time.monotonic() - started:.0f}s")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    solved = sql(env, "SELECT count(*) FROM tickets_ticket WHERE status IN ('solved', 'closed')")[
        0
    ][0]
    surveys = sql(env, "SELECT count(*) FROM quality_survey")[0][0]
    print(f"database {database}: {have:,} tickets, {solved:,} solved, {surveys:,} surveys")

    links = json.loads(
        manage(env, "shell", "-c", MAKE_SURVEYS.format(count=args.surveys, state="sent"))
        .strip()
        .splitlines()[-1]
    )
    with gunicorn(env, PORT, workers=2, threads=1, worker_class="sync") as host:
        warm = Session(host)
        for path in links[:20]:  # each worker's first requests load templates and catalogues
            warm.request("GET", f"/{path}")
        first, again = [], []
        for n, path in enumerate(links[20:]):
            session = Session(host)  # a requester clicking in their mail: no cookies
            elapsed, status, _page = session.timed("GET", f"/{path}?score={1 + n % 5}")
            if status != 200:
                raise SystemExit(f"rating {path} answered {status}")
            first.append(elapsed)
            if n % 4 == 0:
                again.append(session.timed("GET", f"/{path}?score={1 + n % 5}")[0])
        print(f"one-click rating (records it):  {_ms(first)}")
        print(f"the same link clicked again:    {_ms(again)}")
        for who in ("admin@example.com", "northwind.lead@example.com"):
            lead = Session(host)
            lead.sign_in(who, PASSWORD)
            lead.request("GET", "/quality/ratings/")
            times = [lead.timed("GET", "/quality/ratings/")[0] for _n in range(50)]
            bad = [lead.timed("GET", "/quality/ratings/?show=negative")[0] for _n in range(50)]
            print(f"ratings list, {who}: {_ms(times)}; bad ratings only: {_ms(bad)}")

    made = json.loads(
        manage(env, "shell", "-c", MAKE_AGENTS.format(agents=args.agents)).strip().splitlines()[-1]
    )
    for days in args.cycle_days:
        cycle = json.loads(
            manage(env, "shell", "-c", START_CYCLE.format(days=days, quota=5))
            .strip()
            .splitlines()[-1]
        )
        print(
            f"sampling cycle over {days} days for {made['agents']:,} agents: "
            f"{cycle['seconds']:.1f} s, {cycle['reviews']:,} reviews of {cycle['agents']:,} "
            f"agents ({cycle['unassigned']:,} without a reviewer)"
        )
    review_path = f"/quality/reviews/{cycle['review']}/"
    counted = json.loads(
        manage(env, "shell", "-c", QUERIES.format(email=cycle["reviewer"], path=review_path))
        .strip()
        .splitlines()[-1]
    )
    print(f"review page: {counted['queries']} queries (status {counted['status']})")
    with gunicorn(env, PORT, workers=2, threads=1, worker_class="sync") as host:
        reviewer = Session(host)
        reviewer.sign_in(cycle["reviewer"], PASSWORD)
        reviewer.request("GET", review_path)
        times = [reviewer.timed("GET", review_path)[0] for _n in range(50)]
        print(f"review page as its reviewer: {_ms(times)}")
        lead = Session(host)
        lead.sign_in("northwind.lead@example.com", PASSWORD)
        lead.request("GET", "/analytics/?range=90")
        times = [lead.timed("GET", "/analytics/?range=90")[0] for _n in range(30)]
        print(f"a vendor's QA numbers over 90 days (dashboard with IQS): {_ms(times)}")

    manage(env, "shell", "-c", MAKE_SURVEYS.format(count=args.send, state="scheduled"))
    sent = json.loads(
        manage(env, "shell", "-c", SEND_DUE.format(batch=500)).strip().splitlines()[-1]
    )
    seconds = sent.pop("seconds")
    total = sum(sent.values())
    print(f"sending {total:,} due surveys: {seconds:.1f} s ({total / seconds:,.0f}/s; {sent})")


if __name__ == "__main__":
    main()
