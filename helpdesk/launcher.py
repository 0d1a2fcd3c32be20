"""`make run`: start the embedded services if needed, prepare the database, and
run web, worker and beat together under honcho until Ctrl-C.

Ctrl-C stops every process this started, embedded PostgreSQL and Redis
included (when this started them), and leaves the data in .local/ for next time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from helpdesk import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _manage(*args: str, quiet: bool = False) -> None:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL if quiet else None,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def _start_embedded() -> list[str]:
    started = []
    try:
        if not os.environ.get("DATABASE_URL"):
            if embedded.postgres_location() is None:
                print("Starting the embedded PostgreSQL in .local/postgres …", flush=True)
                embedded.ensure_postgres()
                started.append("postgres")
        if not os.environ.get("REDIS_URL"):
            if not embedded.redis_running():
                print("Starting the embedded Redis in .local/redis …", flush=True)
                embedded.ensure_redis()
                started.append("redis")
    except embedded.EmbeddedServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _stop_embedded(started)
        raise SystemExit(1) from None
    return started


def _stop_embedded(started: list[str]) -> None:
    if "postgres" in started and embedded.stop_postgres():
        print("Stopped the embedded PostgreSQL.", flush=True)
    if "redis" in started and embedded.stop_redis():
        print("Stopped the embedded Redis.", flush=True)


def _announce_when_healthy(url: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + 180
    last: dict = {}
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                last = json.load(response)
        except urllib.error.HTTPError as exc:
            last = json.load(exc)
        except OSError:
            pass
        if last.get("ok"):
            print(f"\n==> All services healthy: {url}/healthz\n", flush=True)
            return
        stop.wait(1)
    if not stop.is_set():
        down = [name for name, check in last.get("checks", {}).items() if not check.get("ok")]
        print(f"\n==> Not healthy after 3 minutes; down: {', '.join(down) or 'web'}\n", flush=True)


def main() -> None:
    os.chdir(BASE_DIR)
    started = _start_embedded()
    try:
        _manage("preflight")
        _manage("migrate", "--noinput", quiet=True)
        if os.environ.get("DEBUG", "").lower() not in ("1", "true", "yes", "on"):
            _manage("collectstatic", "--noinput", quiet=True)
        _manage("seed_demo", "--quiet-logins", quiet=True)
        from helpdesk import demo_data

        host = os.environ.get("WEB_HOST", "127.0.0.1")
        port = os.environ.get("WEB_PORT", "8000")
        url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"  # noqa: S104
        print(f"\nHelpdesk: {url}\n\nDemo logins (email, password, who):", flush=True)
        print("\n".join(demo_data.login_lines()), flush=True)
        print("\nPress Ctrl-C to stop everything.\n", flush=True)

        stop = threading.Event()
        threading.Thread(target=_announce_when_healthy, args=(url, stop), daemon=True).start()
        honcho = subprocess.Popen(  # noqa: S603
            [str(Path(PYTHON).parent / "honcho"), "start", "-f", "Procfile"], cwd=BASE_DIR
        )

        # Ctrl-C in a terminal reaches honcho too (same process group); a signal
        # sent to this process alone is passed on. Either way honcho stops its
        # children and exits, and we wait for that before stopping the databases.
        def _stop_honcho(*_: object) -> None:
            if honcho.poll() is None:
                honcho.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, _stop_honcho)
        signal.signal(signal.SIGTERM, _stop_honcho)
        honcho.wait()
        stop.set()
    finally:
        _stop_embedded(started)


if __name__ == "__main__":
    main()
