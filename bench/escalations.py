#!/usr/bin/env python
"""Escalations benchmark: seeds (or reuses) N escalations over the demo's tickets in its own
database, starts gunicorn and prints latency percentiles for the lead's board (all,
filtered, overdue), an escalation page, a board action (accept, re-rendering the board),
and the cost of the page sweep with many pages falling due at once.

    .venv/bin/python bench/escalations.py --escalations 50000
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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
)

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
PORT = 8732

SEED = """
import random
from datetime import timedelta
from django.utils import timezone
from escalations.models import Escalation, EscalationReason
from tickets.models import Requester, Ticket, Queue
rng = random.Random(11)
reasons = list(EscalationReason.objects.filter(trigger="manual"))
have = Escalation.objects.count()
want = {count}
if have < want:
    queue = Queue.objects.get(name="General Support")
    requester, _ = Requester.objects.get_or_create(email="bench.escalations@example.net")
    tickets = Ticket.objects.bulk_create(
        Ticket(reference=f"E{{n:09d}}", subject=f"Escalated ticket {{n}}", requester=requester,
               queue=queue) for n in range(have, want))
    now = timezone.now()
    statuses = ["requested"] * 4 + ["accepted"] * 3 + ["in_progress"] * 2 + ["resolved"]
    rows = []
    for ticket in tickets:
        status = rng.choice(statuses)
        reason = rng.choice(reasons)
        rows.append(Escalation(
            ticket=ticket, reason=reason, severity=rng.randint(1, 4), status=status,
            target_team=reason.target_team, summary="bench", created_at=now,
            due_at=now + timedelta(minutes=rng.randint(-3000, 3000)),
            closed_at=now - timedelta(hours=rng.randint(0, 300)) if status == "resolved" else None))
    Escalation.objects.bulk_create(rows, batch_size=5000)
open_ones = Escalation.objects.filter(status__in=["requested", "accepted", "in_progress"])
print(Escalation.objects.count(), open_ones.count())
"""

SWEEP = """
import json, time
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from escalations import services
from escalations.models import Escalation, Incident, Page, Rotation
rotation = Rotation.objects.first()
incident = Incident.objects.first() or Incident.objects.create(title="bench", severity=1)
now = timezone.now()
Page.objects.filter(summary="bench").delete()
members = list(rotation.members.values_list("user_id", flat=True))
Page.objects.bulk_create(Page(rotation=rotation, incident=incident, severity=1, summary="bench",
                              target_id=members[0], attempts=1, tried=[members[0]],
                              next_action_at=now - timedelta(seconds=1)) for _ in range({pages}))
started = time.perf_counter()
done = 0
while True:
    n = services.pages_sweep(now=now)
    done += n
    if n < 200:
        break
seconds = time.perf_counter() - started
Page.objects.filter(summary="bench").update(status="cancelled", next_action_at=None)
print(json.dumps({{"pages": done, "seconds": round(seconds, 2)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--escalations", type=int, default=50000)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("-n", type=int, default=200, help="requests per measurement")
    args = parser.parse_args()

    database = f"helpdesk_bench_escalations_{args.escalations}"
    env = bench_env(database)
    ensure_database(database)
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--quiet-logins")
    counts = manage(env, "shell", "-c", SEED.format(count=args.escalations)).split()[-2:]
    print(f"database {database}: {counts[0]} escalations, {counts[1]} open")
    manage(env, "collectstatic", "--no-input")

    with gunicorn(env, PORT, workers=2, threads=2):
        lead = Session(f"127.0.0.1:{PORT}")
        lead.sign_in("lead@example.com", PASSWORD)
        n = args.n
        print(row("board, everything", measure(lambda: lead.timed("GET", "/escalations/"), n)))
        print(row("board, SEV1 only",
                  measure(lambda: lead.timed("GET", "/escalations/?severity=1"), n)))  # fmt: skip
        print(row("board, overdue only",
                  measure(lambda: lead.timed("GET", "/escalations/?overdue=on"), n)))  # fmt: skip
        print(row("board, htmx refresh",
                  measure(lambda: lead.timed("GET", "/escalations/", headers={
                      "HX-Request": "true"}), n)))  # fmt: skip
        board = lead.request("GET", "/escalations/")[1]
        ids = re.findall(r'data-testid="escalation-card" data-id="(\d+)"', board)
        print(row("escalation page", measure(lambda: lead.timed("GET", f"/escalations/{ids[0]}/"),
                                             n)))  # fmt: skip

        def first_requested(page: str) -> str:
            column = re.findall(r'data-testid="column-requested".*?</section>', page, re.S)[0]
            return re.findall(r'data-id="(\d+)"', column)[0]

        samples, page = [], board
        for _ in range(min(40, n)):
            path = f"/escalations/{first_requested(page)}/accept/"
            ms, _status, page = lead.timed("POST", path, {"filters": ""},
                                           headers={"HX-Request": "true"})  # fmt: skip
            samples.append(ms)
        print(row("accept on the board (htmx)", percentiles(samples)))
    out = json.loads(manage(env, "shell", "-c", SWEEP.format(pages=args.pages)).split("\n")[-2])
    print(f"page sweep: {out['pages']} due pages repeated in {out['seconds']} s")


if __name__ == "__main__":
    main()
