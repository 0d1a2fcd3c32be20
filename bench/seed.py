#!/usr/bin/env python
"""Seed benchmark: seeds N tickets into a fresh database of its own and prints the time
taken, the rows written per ticket (messages, audit events, SLA clocks) and the tables'
size on disk.

    .venv/bin/python bench/seed.py --tickets 100000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on the path, and its queue.py would shadow
# the standard library's queue module (which psycopg imports).
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import bench_env, ensure_database, manage, sql  # noqa: E402


def _drop_database(name: str) -> None:
    import psycopg

    from helpdesk import embedded

    location = embedded.ensure_postgres()
    with psycopg.connect(host=str(location.socket_dir), port=location.port, user="postgres",
                         dbname="postgres", autocommit=True) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--database", default="helpdesk_bench_seed")
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()

    if not args.keep:
        _drop_database(args.database)
    env = bench_env(args.database)
    ensure_database(args.database)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    tables = ("tickets_ticket", "tickets_message", "tickets_event", "tickets_slaclock")
    before = {t: sql(env, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
    started = time.monotonic()
    out = manage(env, "seed_demo", "--quiet-logins", "--tickets", str(args.tickets),
                 "--open-share", str(args.open_share), "--seed", "1")  # fmt: skip
    seconds = time.monotonic() - started
    print("\n".join(line for line in out.splitlines() if line.startswith("Added")))
    after = {t: sql(env, f"SELECT count(*) FROM {t}")[0][0] for t in before}
    tickets = after["tickets_ticket"] - before["tickets_ticket"]
    rate = tickets / seconds
    print(f"\n== seed_demo --tickets {args.tickets:,}: {seconds:.0f}s wall ({rate:,.0f} tickets/s, "
          "the command's start included)")  # fmt: skip
    for table, count in after.items():
        added = count - before[table]
        print(f"{table:<20} {added:>12,} rows  {added / max(tickets, 1):6.2f} per ticket")
    span = sql(env, "SELECT min(created_at), max(created_at), count(*) FILTER (WHERE status IN "
                    "('new','open','pending','on_hold')) FROM tickets_ticket")[0]  # fmt: skip
    print(f"created from {span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M}; {span[2]:,} active")
    for table, size in sql(env, "SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) "
                                "FROM pg_class c WHERE c.relname IN ('tickets_ticket', "
                                "'tickets_message', 'tickets_event', 'tickets_slaclock') "
                                "ORDER BY c.relname"):  # fmt: skip
        print(f"{table:<20} {size:>12} with indexes")


if __name__ == "__main__":
    main()
