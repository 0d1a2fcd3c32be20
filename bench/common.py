"""Helpers for the benchmark scripts: a dedicated database, a gunicorn server, HTTP sessions
and percentiles. Benchmarks print figures; they assert nothing."""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
PYTHON = sys.executable


def bench_env(database: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "EMBEDDED_DATABASE_NAME": database,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT": "1000000/minute",
        "STATIC_ROOT": str(BASE_DIR / ".local" / "bench-static"),
    })  # fmt: skip
    env.update(extra)
    return env


def ensure_database(name: str) -> None:
    """Create the benchmark's own database on the embedded PostgreSQL if it is missing."""
    import psycopg

    from helpdesk import embedded

    location = embedded.ensure_postgres()
    with psycopg.connect(host=str(location.socket_dir), port=location.port, user="postgres",
                         dbname="postgres", autocommit=True) as conn:  # fmt: skip
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def sql(env: dict[str, str], query: str) -> list[tuple]:
    import psycopg

    from helpdesk import embedded

    location = embedded.ensure_postgres()
    with psycopg.connect(host=str(location.socket_dir), port=location.port, user="postgres",
                         dbname=env["EMBEDDED_DATABASE_NAME"]) as conn:  # fmt: skip
        return conn.execute(query).fetchall()


def _answers(port: int, path: str, *, any_status: bool) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        return any_status or conn.getresponse().status == 200
    except OSError:
        return False


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, ready_path: str,  # type: ignore[no-untyped-def]
           *, any_status: bool = False, cwd: Path = BASE_DIR):  # fmt: skip
    """A server process, yielded once ``ready_path`` answers 200 (or anything, with
    ``any_status``) within a minute, and stopped at the end. Its database connections
    carry its program's name (``application_name``, for ``database_connections``)."""
    env = {**env, "PGAPPNAME": Path(command[0]).name if command[0] != PYTHON else command[2]}
    if _answers(port, ready_path, any_status=True):
        # Another run's server: measuring it would measure the wrong code, or two runs.
        raise SystemExit(f"Something already answers on port {port}: stop it first.")
    process = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        deadline = time.monotonic() + 60
        while not _answers(port, ready_path, any_status=any_status):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"{command[0]} on port {port} did not answer {ready_path}")
            time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(20)


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int = 4, threads: int = 2,  # type: ignore[no-untyped-def]
             worker_class: str = "gthread"):  # fmt: skip
    """gunicorn as deployed: the Procfile and Dockerfile run the default `sync` worker class
    (one request at a time, a fresh connection each, taken by whichever worker is free);
    `gthread` keeps connections alive, so each is pinned to the worker that accepted it."""
    command = [str(Path(PYTHON).parent / "gunicorn"), "helpdesk.wsgi",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--threads", str(threads), "--worker-class", worker_class,
               "--log-level", "warning"]  # fmt: skip
    with server(command, env, port, "/accounts/sign-in/") as host:
        yield host


@contextmanager
def uvicorn(env: dict[str, str], port: int):  # type: ignore[no-untyped-def]
    """The push server as the Procfile runs it (streams cut after 3 s on shutdown)."""
    command = [PYTHON, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", "warning",
               "--timeout-graceful-shutdown", "3"]  # fmt: skip
    # /healthz answers 503 until a worker and beat run (the bench starts them after).
    with server(command, env, port, "/healthz", any_status=True) as host:
        yield host


def celery_process(env: dict[str, str], kind: str, *, concurrency: int = 1,
                   name: str = "bench") -> subprocess.Popen:  # fmt: skip
    """A Celery worker or beat in its own process group (so a chaos run can SIGKILL it
    whole). Beat keeps its schedule per database and name."""
    celery_bin = str(Path(PYTHON).parent / "celery")
    if kind == "worker":
        extra = ["--concurrency", str(concurrency), "--hostname", f"{name}@%h",
                 "--without-mingle", "--without-gossip"]  # fmt: skip
    else:
        schedule = BASE_DIR / ".local" / f"bench-beat-{env['EMBEDDED_DATABASE_NAME']}-{name}"
        extra = ["--schedule", str(schedule)]
    return subprocess.Popen(
        [celery_bin, "-A", "helpdesk", kind, "--loglevel", "ERROR", *extra], cwd=BASE_DIR,
        env={**env, "PGAPPNAME": f"celery-{kind}"}, start_new_session=True,
    )  # fmt: skip


@contextmanager
def celery(env: dict[str, str], concurrency: int = 1):  # type: ignore[no-untyped-def]
    """A Celery worker and beat, as in production (beat refreshes the queue counts)."""
    processes = [celery_process(env, "worker", concurrency=concurrency),
                 celery_process(env, "beat")]  # fmt: skip
    try:
        time.sleep(5)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def load_creates(host: str, clients: int, seconds: float,
                 submit: Callable[[Session, int], tuple[float, int]],
                 ) -> tuple[list[float], int, int]:  # fmt: skip
    """``clients`` threads, each with its own session, calling ``submit(session, n)`` (a
    create: its milliseconds and status) for ``seconds``: the samples, the creates (302)
    and the errors (anything else)."""
    samples: list[float] = []
    made = errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        nonlocal made, errors
        session = Session(host)
        n = 0
        while time.monotonic() < deadline:
            ms, status = submit(session, index * 1_000_000 + n)
            n += 1
            with lock:
                samples.append(ms)
                made += status == 302
                errors += status != 302

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, made, errors


class Session:
    """One signed-in browser-like session over a keep-alive connection."""

    def __init__(self, host: str) -> None:
        self.host, port = host.split(":")
        self.port = int(port)
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, dict]:  # fmt: skip
        data = urllib.parse.urlencode(body, doseq=True) if body is not None else None
        extra = dict(headers or {})
        if data is not None:
            extra["Content-Type"] = "application/x-www-form-urlencoded"
            extra["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        try:
            self.conn.request(method, path, body=data, headers=self._headers(extra))
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=data, headers=self._headers(extra))
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())

    def sign_in(self, email: str, password: str) -> None:
        self.request("GET", "/accounts/sign-in/")
        _, page, _ = self.request("GET", "/accounts/sign-in/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            raise SystemExit(f"no sign-in form at /accounts/sign-in/ (got {page[:200]!r})")
        token = found.group(1)
        status, _, _ = self.request("POST", "/accounts/sign-in/", {
            "csrfmiddlewaretoken": token, "username": email, "password": password})  # fmt: skip
        if status != 302:
            raise SystemExit(f"sign-in as {email} failed ({status})")

    def timed(self, method: str, path: str, body: dict | None = None,
              headers: dict[str, str] | None = None) -> tuple[float, int, str]:  # fmt: skip
        started = time.perf_counter()
        status, text, _ = self.request(method, path, body, headers)
        return (time.perf_counter() - started) * 1000, status, text


def cpu_seconds_by_process() -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by every running process (pid → program name, seconds),
    from /proc: gunicorn, uvicorn, postgres, celery, redis-server, python for this load
    generator."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name == "python":
            # Python programs by what they run: the push server (uvicorn) apart from a
            # benchmark's own client.
            try:
                command = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except OSError:
                command = []
            if b"uvicorn" in command:
                name = "uvicorn"
        fields = text[text.rindex(")") + 2 :].split()
        found[int(stat.parent.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


class ConnectionSampler:
    """The most database connections each program held at once while the block ran
    (sampled every half second from pg_stat_activity, by ``application_name``)."""

    def __init__(self, database: str, interval: float = 0.5) -> None:
        self.database, self.interval = database, interval
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()

    def _run(self) -> None:
        import psycopg

        from helpdesk import embedded

        location = embedded.ensure_postgres()
        with psycopg.connect(host=str(location.socket_dir), port=location.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:  # fmt: skip
            while not self._stop.wait(self.interval):
                rows = conn.execute("SELECT application_name, count(*) FROM pg_stat_activity "
                                    "WHERE datname = %s GROUP BY 1", [self.database])  # fmt: skip
                for name, count in rows.fetchall():
                    key = name or "other"
                    self.peak[key] = max(self.peak.get(key, 0), count)

    def __enter__(self) -> ConnectionSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in sorted(self.peak.items()))


class CpuSampler:
    """CPU used per program while the block runs, as a share of one core. /proc is read
    every quarter second, so processes that start or end inside the block (a database
    connection renewed after CONN_MAX_AGE, say) are counted too, less their last moments."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()

    def _sample(self) -> None:
        for pid, seen in cpu_seconds_by_process().items():
            if pid not in self.first:
                # Started inside the block: all its CPU counts (it was 0 at the start).
                self.first[pid] = (seen[0], 0.0) if self.started else seen
            self.last[pid] = seen

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuSampler:
        self.started = False
        self._sample()
        self.started, self.began = True, time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = time.monotonic() - self.began

    def summary(self) -> str:
        """Each program's share of one core, the busiest first."""
        used: dict[str, float] = {}
        for pid, (name, total) in self.last.items():
            used[name] = used.get(name, 0.0) + total - self.first[pid][1]
        busy = sorted(((v, k) for k, v in used.items() if v / self.seconds >= 0.01), reverse=True)
        total = sum(v for v, _ in busy)
        return (", ".join(f"{k} {v / self.seconds:.0%}" for v, k in busy)
                + f" (all {total / self.seconds:.0%})")  # fmt: skip


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"n": len(samples), "p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99),
            "max": ordered[-1], "mean": statistics.fmean(samples)}  # fmt: skip


def measure(fn: Callable[[], tuple[float, int, str]], n: int, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples, errors = [], 0
    for _ in range(n):
        ms, status, _ = fn()
        samples.append(ms)
        errors += status >= 400
    stats = percentiles(samples)
    stats["errors"] = errors
    return stats


def row(label: str, stats: dict[str, float]) -> str:
    return (f"{label:<38} n={stats['n']:<5} p50={stats['p50']:7.1f}ms p95={stats['p95']:7.1f}ms "
            f"p99={stats['p99']:7.1f}ms max={stats['max']:7.1f}ms"
            + (f"  errors={stats['errors']}" if stats.get("errors") else ""))  # fmt: skip


async def server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, str]]:
    """The events of a server-sent event stream's lines (comments and keepalives left out),
    each as its fields: ``event``, ``id``, ``data``."""
    event: dict[str, str] = {}
    async for line in lines:
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            field, _sep, value = line.partition(": ")
            event[field] = value
