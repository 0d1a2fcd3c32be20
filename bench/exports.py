#!/usr/bin/env python
"""Exports benchmark: seeds (or reuses) N active tickets in its own database, starts gunicorn
and one Celery worker, and exports the whole ticket list (N rows) through the pages, as a
person does: press "Export CSV", poll the job's row until it is ready, download the file.
Prints, per run, the time from the press to the last byte downloaded, the worker's part
(waiting, counting and writing, storing), the rows per second, the file's size and the
worker's peak memory (an export streams: it never holds the rows).

    .venv/bin/python bench/exports.py --tickets 100000
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
    celery_process,
    cpu_seconds_by_process,
    ensure_database,
    gunicorn,
    manage,
    sql,
)

PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
PORT = 8741


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _postgres_processes() -> set[int]:
    """This checkout's PostgreSQL: its postmaster and the backends it started (the
    machine may run other servers)."""
    from helpdesk import embedded

    postmaster = int((embedded.PG_DATA / "postmaster.pid").read_text().split()[0])
    return {postmaster, *_children(postmaster)}


def _cpu_used(before: dict, after: dict, pool: list[int]) -> dict[str, float]:
    """CPU seconds the worker's pool and PostgreSQL spent between two readings: a figure
    the machine's other load changes less than the wall time."""
    postgres = _postgres_processes()
    used = {"worker": 0.0, "postgres": 0.0}
    for pid, (name, seconds) in after.items():
        spent = seconds - before.get(pid, (name, 0.0))[1]
        if pid in pool:
            used["worker"] += spent
        elif pid in postgres:
            used["postgres"] += spent
    return used


def export_once(session: Session, query: str, poll: float) -> dict[str, float | int | str]:
    """Press "Export CSV" with this query, poll the job's row, download the file."""
    pressed = time.perf_counter()
    status, page, _ = session.request(
        "POST", "/exports/start/", {"source": "tickets.queue", "params": query}
    )
    if status == 302:
        status, page, _ = session.request("GET", "/exports/")
    found = re.search(r'<tr id="export-(\d+)"', page)
    if status != 200 or not found:
        raise SystemExit(f"the export did not start ({status}): {page[:500]}")
    job = int(found.group(1))
    while True:
        _, row, _ = session.request("GET", f"/exports/{job}/", headers={"HX-Request": "true"})
        state = re.search(r'data-state="(\w+)"', row).group(1)
        if state not in ("queued", "running"):
            break
        time.sleep(poll)
    ready = time.perf_counter()
    if state != "done":
        raise SystemExit(f"export {job} {state}: {row}")
    link = re.search(r'href="(/exports/download/[^"]+/)"', row).group(1)
    status, body, _ = session.request("GET", link)
    downloaded = time.perf_counter()
    lines = body.count("\n")
    return {
        "job": job,
        "status": status,
        "ready_s": ready - pressed,
        "total_s": downloaded - pressed,
        "lines": lines,
        "bytes": len(body.encode()),
    }


WORKER_PART = """
import json
from exports.models import ExportJob
j = ExportJob.objects.get(pk={job})
print(json.dumps({{
    "wait_s": (j.started_at - j.created_at).total_seconds(),
    "build_s": (j.finished_at - j.started_at).total_seconds(),
    "rows": j.rows_done, "size": j.file_size}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--poll",
        type=float,
        default=0.25,
        help="seconds between polls of the job's row (the page polls every 2)",
    )
    args = parser.parse_args()

    database = f"helpdesk_bench_exports_{args.tickets}"
    env = bench_env(database, EXPORT_MAX_UNFINISHED="10")
    ensure_database(database)
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    manage(env, "seed_demo", "--quiet-logins", "--tickets", "0")
    have = sql(
        env,
        "SELECT count(*) FROM tickets_ticket WHERE status IN ('new', 'open', 'pending', 'on_hold')",
    )[0][0]
    if have < args.tickets:
        started = time.monotonic()
        manage(
            env,
            "seed_demo",
            "--quiet-logins",
            "--tickets",
            str(args.tickets - have),
            "--open-share",
            "1.0",
            "--seed",
            "7",
        )
        print(f"seeded {args.tickets - have} active tickets in {time.monotonic() - started:.0f}s")
    active = sql(
        env,
        "SELECT count(*) FROM tickets_ticket WHERE status IN ('new', 'open', 'pending', 'on_hold')",
    )[0][0]
    print(f"database {database}: {active:,} active tickets")

    worker = celery_process(env, "worker", concurrency=1, name="exports")
    try:
        with gunicorn(env, PORT, workers=2, threads=1, worker_class="sync") as host:
            time.sleep(3)  # the worker's start
            admin = Session(host)
            admin.sign_in("admin@example.com", PASSWORD)
            pool = _children(worker.pid)
            before = {pid: _memory_mb(pid, "VmRSS") for pid in pool}
            print(
                "worker pool process RSS before: "
                + ", ".join(f"{mb:.0f} MB" for mb in before.values())
            )
            for run in range(1, args.runs + 1):
                cpu_before = cpu_seconds_by_process()
                result = export_once(admin, "view=all", args.poll)
                cpu = _cpu_used(cpu_before, cpu_seconds_by_process(), pool)
                part = manage(env, "shell", "-c", WORKER_PART.format(job=result["job"])).strip()
                worker_part = json.loads(part.splitlines()[-1])
                rows = worker_part["rows"]
                print(
                    f"run {run}: {rows:,} rows; press to downloaded {result['total_s']:.1f} s "
                    f"(ready after {result['ready_s']:.1f} s); worker: waited "
                    f"{worker_part['wait_s']:.2f} s, built and stored in "
                    f"{worker_part['build_s']:.1f} s "
                    f"({rows / worker_part['build_s']:,.0f} rows/s); "
                    f"file {worker_part['size'] / 1e6:.1f} MB, {result['lines']:,} lines, "
                    f"download {result['status']}; CPU: worker {cpu['worker']:.1f} s, "
                    f"postgres {cpu['postgres']:.1f} s"
                )
            peak = {pid: _memory_mb(pid, "VmHWM") for pid in pool}
            print(
                "worker pool process peak RSS: " + ", ".join(f"{mb:.0f} MB" for mb in peak.values())
            )
            vendor = Session(host)
            vendor.sign_in("northwind.lead@example.com", PASSWORD)
            result = export_once(vendor, "view=all", args.poll)
            print(
                f"a vendor lead's export (their vendor only): {result['lines'] - 1:,} rows in "
                f"{result['total_s']:.1f} s"
            )
    finally:
        worker.terminate()
        worker.wait(60)


if __name__ == "__main__":
    main()
