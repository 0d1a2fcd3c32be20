"""`make run`: start the embedded services if needed, prepare the database, and run
web, worker and beat (the Procfile) under a small supervisor until Ctrl-C.

A process that crashes is started again after a back-off while the others keep
running (helpdesk/supervisor.py); /healthz shows it down until it is back. Ctrl-C
stops every process this started, embedded PostgreSQL and Redis included (when this
started them), and leaves the data in .local/ for next time.

Mail is written to files in .local/mail/ unless EMAIL_URL is set, and links in it
follow WEB_HOST and WEB_PORT unless SITE_URL is set. With DEBUG off the demo logins
get random passwords, printed once here, never the published demo password.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from helpdesk import embedded
from helpdesk.supervisor import Supervisor, read_procfile
from helpdesk.web_address import local_site_url

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MAIL_DIR = embedded.STATE_DIR / "mail"
_TRUE = ("1", "true", "yes", "on")


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


def _configured(name: str) -> bool:
    """Set in the environment or in .env (which settings read too)."""
    if os.environ.get(name):
        return True
    dotenv = BASE_DIR / ".env"
    lines = dotenv.read_text().splitlines() if dotenv.exists() else []
    return any(line.strip().removeprefix("export ").startswith(f"{name}=") for line in lines)


def child_environment() -> dict[str, str]:
    """What web, push, worker and beat get on top of this environment: unless EMAIL_URL is
    configured, mail goes to files in .local/mail/ instead of whole MIME messages on
    the worker's output; unless PUSH_URL is, browsers reach the push server on PUSH_PORT
    (8001) of the web server's host."""
    # The Procfile's gunicorn and celery are this Python's (`make run` puts them first on
    # PATH too; `python -m helpdesk.launcher` may not).
    env = {"PATH": os.pathsep.join([str(Path(PYTHON).parent), os.environ.get("PATH", "")])}
    if not _configured("EMAIL_URL"):
        MAIL_DIR.mkdir(parents=True, exist_ok=True)
        # django-environ reads the path after "filemail:///" relative to the working
        # directory (BASE_DIR for every process here).
        env["EMAIL_URL"] = f"filemail:///{os.path.relpath(MAIL_DIR, BASE_DIR)}"
    if not _configured("PUSH_URL"):
        # The push server (the Procfile's `push`) listens beside the web server; pages tell
        # browsers to read their event streams there.
        env["PUSH_URL"] = local_site_url(os.environ.get("WEB_HOST"),
                                         os.environ.get("PUSH_PORT") or "8001")  # fmt: skip
    return env


def seed_demo_logins(*, debug: bool) -> list[str]:
    """Seed the demo and return its login lines. With DEBUG off, new demo logins (and any
    still on the published password) get random passwords, which exist only in these
    lines: shown once, in the terminal of whoever started `make run`."""
    if debug:
        _manage("seed_demo", "--quiet-logins", quiet=True)
        from demo import data as demo_data

        return demo_data.login_lines()
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "seed_demo", "--random-passwords"],
        cwd=BASE_DIR, stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(result.returncode)
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Demo logins"))
    return lines[header + 1 :]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()


def forget_heartbeat(name: str, code: int) -> None:
    """A crashed worker or beat shows as down on /healthz at once, until it is back,
    rather than alive for HEARTBEAT_MAX_AGE on its last heartbeat."""
    if name not in ("worker", "beat"):
        return
    _setup_django()
    from core import heartbeats

    if name == "worker":
        # The Procfile names the worker worker@%h; Celery expands %h to this.
        heartbeats.forget_worker(f"worker@{socket.gethostname()}")
    else:
        heartbeats.client().delete(heartbeats.BEAT_KEY)


def main() -> None:
    os.chdir(BASE_DIR)
    debug = os.environ.get("DEBUG", "").lower() in _TRUE
    started = _start_embedded()
    try:
        _manage("preflight")
        _manage("migrate", "--noinput", quiet=True)
        if not debug:
            _manage("collectstatic", "--noinput", quiet=True)
        logins = seed_demo_logins(debug=debug)
        url = local_site_url(os.environ.get("WEB_HOST"), os.environ.get("WEB_PORT"))
        env = child_environment()
        print(f"\nHelpdesk: {url}\n\nDemo logins (email, password, who):", flush=True)
        print("\n".join(logins), flush=True)
        if not debug:
            print("(DEBUG is off: random passwords, shown only now; \"unchanged\" ones were "
                  "set earlier.)", flush=True)  # fmt: skip
        if env.get("EMAIL_URL"):
            print(f"\nMail is not sent: each message is written to a file in "
                  f"{os.path.relpath(MAIL_DIR, BASE_DIR)}/ (set EMAIL_URL to send it).",
                  flush=True)  # fmt: skip
        print("\nPress Ctrl-C to stop everything.\n", flush=True)

        supervisor = Supervisor(
            read_procfile(BASE_DIR / "Procfile"), cwd=BASE_DIR, env=env, on_exit=forget_heartbeat
        )
        # Each process has its own process group, so a terminal's Ctrl-C reaches only
        # this one; the supervisor then stops them all before the databases stop.
        signal.signal(signal.SIGINT, supervisor.stop)
        signal.signal(signal.SIGTERM, supervisor.stop)
        stop = threading.Event()
        threading.Thread(target=_announce_when_healthy, args=(url, stop), daemon=True).start()
        # Ready before a first crash, so forget_heartbeat reports it at once.
        threading.Thread(target=_setup_django, daemon=True).start()
        try:
            supervisor.run()
        finally:
            stop.set()
    finally:
        _stop_embedded(started)


if __name__ == "__main__":
    main()
