#!/usr/bin/env python
""" "Next ticket" with trust & safety's exposure rule: the same measurement as bench/queue.py
(N agents pressing "next ticket" at once, 25 presses each), twice on the same tickets:

1. without graphic categories (the rule answers None without touching Redis, as before
   the feature);
2. with the taxonomy's graphic categories and graphic work waiting, half the agents in a
   cool-down, so the rule reads Redis on every press, skips or interleaves graphic
   tickets by category (a second query when the first finds nothing).

Prints both p95s and their ratio (issue 18: within 10%).

    .venv/bin/python bench/safety_next.py --tickets 5000
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py is named like the standard library's `queue`, which psycopg imports:
# take this folder off the path before anything does (as bench/queue.py does).
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402 (after the path juggling)
import threading  # noqa: E402

from bench.common import (  # noqa: E402
    Session,
    bench_env,
    celery,
    ensure_database,
    gunicorn,
    manage,
    percentiles,
    row,
    sql,
)

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
SETUP = """
from accounts import services
from accounts.models import Role, Team, User
from safety.models import HarmCategory
from safety.taxonomy import ensure_defaults
from tickets import services as ticket_services
from tickets.models import Queue, Requester, Ticket
ensure_defaults()
team = Team.objects.get(slug="trust-safety")
# Hand back what earlier runs claimed (a bench fixture, not an agent's action).
Ticket.objects.filter(assignee__email__startswith="bench.safety").update(assignee=None)
for queue in Queue.objects.all():
    queue.teams.add(team)
# Work waiting in a graphic queue and in an ordinary one, enough for every press of a run
# (each run's claims are handed back before the next).
requester = ticket_services.requester_get_or_create(email="bench.notifier@example.net",
                                                    name="Bench notifier")
for slug, count, category in (("safety-reports", {graphic}, "graphic-violence"),
                              ("general-support", {plain}, "")):
    queue = Queue.objects.get(slug=slug)
    have = Ticket.objects.filter(queue=queue, subject__startswith="Bench waiting").count()
    for n in range(have, count):
        ticket_services.ticket_create(actor=None, requester=requester, queue=queue,
                                      subject=f"Bench waiting {{n}}", body="Reported item",
                                      language="en", category=category)
for n in range({agents}):
    email = f"bench.safety{{n}}@example.com"
    if not User.objects.filter(email=email).exists():
        services.user_create(actor=None, email=email, full_name=f"Bench Safety {{n}}", team=team,
                             role=Role.AGENT, languages=["en", "es", "pt", "fr", "de", "ar", "ja",
                             "ru"], password="{password}")
"""
# The taxonomy's graphic categories (``on``) or none (``off``); the cool-downs.
TOGGLE = """
from datetime import timedelta
from django.core.cache import cache
from django.utils import timezone
from accounts.models import User
from safety import exposure
from safety.models import HarmCategory
from safety.taxonomy import CATEGORIES
graphic = [row[0] for row in CATEGORIES if row[5]]
HarmCategory.objects.filter(key__in=graphic).update(graphic="{mode}" == "on")
for n, user in enumerate(User.objects.filter(email__startswith="bench.safety").order_by("pk")):
    for part in ("cooldown", "last-graphic", "opt-outs"):
        cache.delete(exposure._key(user.pk, part))
    if "{mode}" == "on" and n % 2 == 0:
        exposure._set_cooldown(user.pk, timezone.now() + timedelta(hours=1))
"""
RELEASE = (
    "from tickets.models import Ticket\n"
    "Ticket.objects.filter(assignee__email__startswith='bench.safety').update(assignee=None)\n"
)


def presses(host: str, agents: int, rounds: int) -> tuple[list[float], list[str]]:
    sessions = []
    for n in range(agents):
        s = Session(host)
        s.sign_in(f"bench.safety{n}@example.com", PASSWORD)
        sessions.append(s)
    samples: list[float] = []
    statuses: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(agents)

    def press(s: Session) -> None:
        barrier.wait()
        for _ in range(rounds):
            s.request("GET", "/tickets/")
            ms, status, _ = s.timed("POST", "/tickets/next/", {})
            with lock:
                samples.append(ms)
                statuses.append(str(status))

    threads = [threading.Thread(target=press, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--graphic", type=int, default=400, help="graphic tickets waiting")
    parser.add_argument("--plain", type=int, default=400, help="other tickets waiting")
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--port", type=int, default=8057)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=25, help="presses per agent per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode, alternating")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="", help="default: helpdesk_bench_safety_<tickets>")
    args = parser.parse_args()

    database = args.database or f"helpdesk_bench_safety_{args.tickets}"
    env = bench_env(database)
    ensure_database(database)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.tickets - have),
               "--open-share", str(args.open_share), "--seed", "1")  # fmt: skip
    setup = SETUP.format(
        agents=args.agents, graphic=args.graphic, plain=args.plain, password=PASSWORD
    )
    manage(env, "shell", "-c", setup)
    total, waiting = sql(
        env,
        "SELECT count(*), count(*) FILTER (WHERE status IN ('new','open') "
        "AND assignee_id IS NULL) FROM tickets_ticket",
    )[0]
    print(f"\n== {total:,} tickets, {waiting:,} unassigned and workable; "
          f"of which {args.graphic} graphic reports")  # fmt: skip
    figures: dict[str, list[float]] = {"off": [], "on": []}
    claims: dict[str, list[str]] = {"off": [], "on": []}
    with celery(env), gunicorn(env, args.port, workers=args.workers, threads=1,
                               worker_class="sync") as host:  # fmt: skip
        # A discarded run first: the workers' first requests (imports, caches) are slower.
        manage(env, "shell", "-c", RELEASE + TOGGLE.format(mode="off"))
        presses(host, args.agents, args.rounds)
        for _ in range(args.repeat):
            for mode in ("off", "on"):
                manage(env, "shell", "-c", RELEASE + TOGGLE.format(mode=mode))
                samples, statuses = presses(host, args.agents, args.rounds)
                figures[mode] += samples
                claims[mode] += statuses
        manage(env, "shell", "-c", RELEASE + TOGGLE.format(mode="on"))
    off, on = percentiles(figures["off"]), percentiles(figures["on"])
    print(row(f"next ticket, no graphic categories ({args.agents})", off))
    print(row(f"next ticket, safety rule ({args.agents})", on))
    ratio = on["p95"] / off["p95"] if off["p95"] else 0.0
    print(f"{'p95 with the rule / without':<38} {ratio:.2f} (statuses "
          f"{sorted(set(claims['off']))} / {sorted(set(claims['on']))})")  # fmt: skip


if __name__ == "__main__":
    main()
