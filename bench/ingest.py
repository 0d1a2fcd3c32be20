#!/usr/bin/env python
"""Inbound email benchmark: writes N messages from the test corpus (each with its own
Message-ID) to files and times `manage.py ingest_email` over them in its own database;
prints messages per second and what became of them.

    .venv/bin/python bench/ingest.py --messages 3000
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import PYTHON, bench_env, ensure_database, manage  # noqa: E402
from tests.tickets.email.corpus import cases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2, help="ingest processes at once")
    parser.add_argument("--batch", type=int, default=0,
                        help="files per ingest_email process (an MTA pipe is 1, a Maildir "
                             "sweep hundreds); default: an equal share per process")  # fmt: skip
    args = parser.parse_args()

    database = "helpdesk_bench_ingest"
    # The corpus has few senders; lift the receipt throttle so every new ticket gets its
    # receipt, as it would with thousands of different senders.
    env = bench_env(database, INBOUND_EMAIL_QUEUE="general-support", EMAIL_ACK_LIMIT="1000000",
                    ATTACHMENT_MAX_BYTES=str(2 * 1024 * 1024))  # fmt: skip
    ensure_database(database)
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--quiet-logins")
    corpus = [c for c in cases() if c.outcome != "duplicate"]
    run = int(time.time())
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n in range(args.messages):
            case = corpus[n % len(corpus)]
            raw = re.sub(rb"Message-ID: <([^>]+)>", f"Message-ID: <{run}-{n}-".encode()
                         + rb"\1>", case.raw, count=1)  # fmt: skip
            path = Path(folder) / f"{n:06d}.eml"
            path.write_bytes(raw)
            paths.append(str(path))
        size = sum(Path(p).stat().st_size for p in paths)
        started = time.perf_counter()
        # As an MTA delivers: several ingest_email processes at once (one per core by
        # default), each taking a batch of files.
        outcomes: Counter[str] = Counter()
        batch = args.batch or -(-len(paths) // args.workers)
        batches = [paths[i : i + batch] for i in range(0, len(paths), batch)]
        # Each process writes its report to a file: a pipe nobody reads yet (64 KB) would
        # stall a process that finishes its batch later than the one being waited for.
        running: list[tuple[subprocess.Popen, Path]] = []
        while batches or running:
            while batches and len(running) < args.workers:
                report = Path(folder) / f"report-{len(batches)}.txt"
                with report.open("w") as out:
                    running.append((subprocess.Popen(
                        [PYTHON, "manage.py", "ingest_email", *batches.pop(0)], cwd=BASE_DIR,
                        env=env, stdout=out, stderr=subprocess.DEVNULL,
                    ), report))  # fmt: skip
            process, report = running.pop(0)
            process.wait()
            for line in report.read_text().splitlines():
                what = line.split(": ", 2)[-1]
                outcomes["new" if what.startswith("new ticket") else what.split(" ")[0]] += 1
        seconds = time.perf_counter() - started
    print(
        f"{args.messages} messages ({size / 1e6:.1f} MB, {len(corpus)} kinds) in {seconds:.1f} s:"
        f" {args.messages / seconds:.0f} messages/s"
    )
    print("outcomes:", dict(outcomes))


if __name__ == "__main__":
    main()
