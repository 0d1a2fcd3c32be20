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
    args = parser.parse_args()

    database = "helpdesk_bench_ingest"
    env = bench_env(database, INBOUND_EMAIL_QUEUE="general-support",
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
        # One process, as an MTA pipe or a Maildir sweep would run it, in batches of 500.
        outcomes: Counter[str] = Counter()
        for i in range(0, len(paths), 500):
            result = subprocess.run([PYTHON, "manage.py", "ingest_email", *paths[i:i + 500]],
                                    cwd=BASE_DIR, env=env, capture_output=True, text=True,
                                    check=False)  # fmt: skip
            for line in result.stdout.splitlines():
                what = line.split(": ", 2)[-1]
                outcomes[what.split(" ")[0] if not what.startswith("new ticket") else "new"] += 1
        seconds = time.perf_counter() - started
    print(
        f"{args.messages} messages ({size / 1e6:.1f} MB, {len(corpus)} kinds) in {seconds:.1f} s:"
        f" {args.messages / seconds:.0f} messages/s"
    )
    print("outcomes:", dict(outcomes))


if __name__ == "__main__":
    main()
