"""Real Celery worker and beat processes for tests (no eager mode, no mocks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # The test process's own databases: under pytest-xdist each worker has its own
    # (test_helpdesk_gw1, Redis database TEST_REDIS_DB - 1), and its children must use them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_")}
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings_test"
    env["HELPDESK_TEST_DATABASE_NAME"] = connection.settings_dict["NAME"]
    env["TEST_REDIS_DB"] = str(settings.TEST_REDIS_DB)
    env.update(extra or {})
    return env


def start_worker(
    name: str = "test-worker", *, concurrency: int = 1, env: dict[str, str] | None = None
) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--loglevel", "WARNING",
         "--concurrency", str(concurrency), "--hostname", f"{name}@%h", "--without-mingle",
         "--without-gossip"],
        cwd=BASE_DIR, env=_env(env), start_new_session=True,
    )  # fmt: skip


def start_beat(schedule_file: Path, *, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "beat", "--loglevel", "WARNING",
         "--schedule", str(schedule_file)],
        cwd=BASE_DIR, env=_env(env), start_new_session=True,
    )  # fmt: skip


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_push(port: int, *, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The push server (uvicorn, as the Procfile starts it), on this port; returns once it
    answers."""
    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning",
         "--timeout-graceful-shutdown", "1"],
        cwd=BASE_DIR, env=_env(env), start_new_session=True,
    )  # fmt: skip

    def answers() -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.HTTPError:
            return False
        return True

    if not wait_for(answers, timeout=30):
        stop(process)
        raise RuntimeError("the push server did not start")
    return process


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_for(condition: Callable[[], bool], timeout: float = 30, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
