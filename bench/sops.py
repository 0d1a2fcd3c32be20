#!/usr/bin/env python
"""SOP benchmark: seeds (or reuses) N published SOPs and M agents in its own database,
starts gunicorn and prints latency percentiles for the SOP library (browse, search,
filter), the ticket page with its SOP panel, the acknowledgement banner when its cache
is cold, the lead's coverage page over the whole audience, and the cost of a publish.

    .venv/bin/python bench/sops.py --sops 1000 --agents 5000
"""

from __future__ import annotations

import argparse
import json
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
    Session,
    bench_env,
    ensure_database,
    gunicorn,
    manage,
    measure,
    percentiles,
    row,
    sql,
)

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
PORT = 8731

PENDING = """
import json, time
from django.db import connection
from accounts.models import User
from bench.common import percentiles
from sops.selectors import _pending_query
user = User.objects.get(email="agent@example.com")
samples = []
for _ in range(60):
    started = time.perf_counter()
    items = _pending_query(user)
    samples.append((time.perf_counter() - started) * 1000)
print(json.dumps(percentiles(samples[10:])))
"""

SEED = """
import random
from django.contrib.auth.hashers import make_password
from accounts.models import Role, Team, User, Vendor
from sops import services
from sops.models import SOP, SOPAcknowledgement
from tickets.models import Macro, Queue

rng = random.Random(7)
admin = User.objects.get(email="admin@example.com")
queues = list(Queue.objects.all())
vendors = list(Vendor.objects.all())
macros = list(Macro.objects.all())
categories = ["account", "billing", "safety", "appeals", "bugs", "privacy", "marketplace"]
tags = ["login", "refund", "payments", "impersonation", "harassment", "appeal", "crash",
        "gdpr", "hacked", "scam", "2fa", "recovery"]
words = ("verify the requester identity check the payment log refund the duplicate charge "
         "escalate to trust and safety remove the content warn the account").split()
have = SOP.objects.filter(title__startswith="Bench SOP").count()
for n in range(have, {sops}):
    body = "\\n\\n".join(f"## Step {{i}}\\n\\n" + " ".join(rng.choices(words, k=60))
                         for i in range(1, 9))
    version = services.sop_create(
        actor=admin, title=f"Bench SOP {{n:05d}} " + " ".join(rng.choices(words, k=4)),
        summary=" ".join(rng.choices(words, k=20)),
        queues=rng.sample(queues, rng.choice([0, 0, 1, 2])),
        categories=rng.sample(categories, rng.choice([0, 1, 1, 2])),
        tags=rng.sample(tags, rng.choice([0, 1, 2])),
        vendors=rng.sample(vendors, rng.choice([0, 1, 2])),
        body=body, steps=[f"Step {{i}}: " + " ".join(rng.choices(words, k=6)) for i in range(8)],
        macros=rng.sample(macros, 2),
    )
    services.sop_version_submit(actor=admin, version=version)
    services.sop_version_publish(actor=admin, version=version)
teams = list(Team.objects.all())
have = User.objects.filter(email__startswith="bench.sop.agent").count()
password = make_password("{password}")
User.objects.bulk_create([
    User(email=f"bench.sop.agent{{n}}@example.com", full_name=f"Bench Agent {{n:05d}}",
         role=Role.AGENT, team=teams[n % len(teams)], languages=["en", "es", "ar"],
         password=password)
    for n in range(have, {agents})
], batch_size=1000)
if not SOPAcknowledgement.objects.exists():
    people = list(User.objects.filter(role__in=[Role.AGENT, Role.LEAD])
                  .values_list("pk", flat=True))
    versions = list(SOP.objects.exclude(current_version=None)
                    .values_list("current_version_id", flat=True)[:50])
    SOPAcknowledgement.objects.bulk_create([
        SOPAcknowledgement(version_id=v, user_id=u)
        for v in versions for u in people if rng.random() < 0.6
    ], batch_size=5000)
print(SOP.objects.count(), User.objects.count(), SOPAcknowledgement.objects.count())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sops", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("-n", type=int, default=200, help="requests per measurement")
    args = parser.parse_args()

    database = f"helpdesk_bench_sops_{args.sops}"
    env = bench_env(database)
    ensure_database(database)
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--quiet-logins")
    started = time.perf_counter()
    seed = SEED.format(sops=args.sops, agents=args.agents, password=PASSWORD)
    counts = manage(env, "shell", "-c", seed).strip().split("\n")[-1].split()
    print(
        f"database {database}: {counts[0]} SOPs, {counts[1]} people, {counts[2]} "
        f"acknowledgements (seeding {time.perf_counter() - started:.0f}s)"
    )
    manage(env, "collectstatic", "--no-input")
    reference = sql(env, "SELECT reference FROM tickets_ticket t JOIN tickets_queue q "
                         "ON q.id = t.queue_id WHERE q.name = 'General Support' AND "
                         "t.status IN ('new', 'open') ORDER BY t.id LIMIT 1")[0][0]  # fmt: skip
    slug = sql(env, "SELECT s.slug FROM sops_sop s WHERE s.title LIKE 'Bench SOP%' AND NOT "
                    "EXISTS (SELECT 1 FROM sops_sop_queues q WHERE q.sop_id = s.id) "
                    "ORDER BY s.id LIMIT 1")[0][0]  # fmt: skip

    with gunicorn(env, PORT, workers=2, threads=2):
        agent, lead, admin = (Session(f"127.0.0.1:{PORT}") for _ in range(3))
        agent.sign_in("agent@example.com", PASSWORD)
        lead.sign_in("lead@example.com", PASSWORD)
        admin.sign_in("admin@example.com", PASSWORD)
        n = args.n
        print(row("library, first page", measure(lambda: agent.timed("GET", "/sops/"), n)))
        print(row("library, search 'refund duplicate'",
                  measure(lambda: agent.timed("GET", "/sops/?q=refund+duplicate"), n)))  # fmt: skip
        filtered = "/sops/?category=billing&tag=refund"
        print(row("library, category + tag filter",
                  measure(lambda: agent.timed("GET", filtered), n)))  # fmt: skip
        print(row("library, waiting for my ack",
                  measure(lambda: agent.timed("GET", "/sops/?pending=on"), n)))  # fmt: skip
        print(row("ticket page with SOP panel",
                  measure(lambda: agent.timed("GET", f"/tickets/{reference}/"), n)))  # fmt: skip
        panel = agent.request("GET", f"/tickets/{reference}/")[1].count('data-testid="ticket-sop"')
        print(f"  ({panel} SOPs apply to that ticket)")

        print(row("home page, banner cached", measure(lambda: agent.timed("GET", "/"), n)))
        print(row("SOP page (reader)", measure(lambda: agent.timed("GET", f"/sops/{slug}/"), n)))
        print(row("coverage page (all people)",
                  measure(lambda: admin.timed("GET", f"/sops/{slug}/coverage/"), 30)))  # fmt: skip
        audience = admin.request("GET", f"/sops/{slug}/coverage/")[1]
        marker = "people have acknowledged it"
        line = next((ln.strip() for ln in audience.splitlines() if marker in ln), "")
        print("  (" + re.sub(r"<[^>]+>", "", line) + ")")

        # A publish: start a draft, save, submit, publish (four requests), timed end to end.
        samples = []
        for _ in range(10):
            started = time.perf_counter()
            admin.request("POST", f"/sops/{slug}/draft/", {})
            page = admin.request("GET", f"/sops/{slug}/edit/")[1]
            revision = page.split('name="revision" value="', 1)[1].split('"', 1)[0]
            number = page.split('name="version" value="', 1)[1].split('"', 1)[0]
            admin.request("POST", f"/sops/{slug}/edit/", {
                "revision": revision, "body": f"# Rewritten {time.time()}", "steps": "One\nTwo",
                "change_summary": "bench", "requires_acknowledgement": "on"})  # fmt: skip
            admin.request("POST", f"/sops/{slug}/submit/", {"version": number})
            admin.request("POST", f"/sops/{slug}/publish/", {"version": number})
            samples.append((time.perf_counter() - started) * 1000)
        print(row("draft, save, submit, publish (5 req)", percentiles(samples)))
    # The banner's query when its cache is cold (after every publish), in-process.
    out = manage(env, "shell", "-c", PENDING).strip().split("\n")[-1]
    print(row("banner query, cache cold (in-process)", json.loads(out)))


if __name__ == "__main__":
    main()
