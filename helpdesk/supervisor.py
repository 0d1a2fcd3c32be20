"""A small process supervisor for `make run`: web, worker and beat from the Procfile.

honcho stops every process when one exits, so a crashed worker took web, beat and
the embedded databases down with it. Here a process that exits on its own is
started again after a back-off (1 s, doubling up to 30 s; back to 1 s once a run
lasted a minute) while the others keep running. Ctrl-C (SIGINT) or SIGTERM stops
them all: SIGTERM to each process group, SIGKILL to what is left after a grace time.

Each process runs in its own session and process group, so a terminal's Ctrl-C
reaches only the supervisor, which then stops the children in order, and a signal
reaches a process's own children too (gunicorn's workers, Celery's pool).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO


def read_procfile(path: Path) -> dict[str, str]:
    """``name: command`` lines, in order; blank lines and comments skipped."""
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line.strip())
        if match:
            commands[match.group(1)] = match.group(2)
    return commands


@dataclass
class Child:
    name: str
    command: str
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    failures: int = 0  # exits in a row that came soon after a start
    restarts: int = 0


class Supervisor:
    def __init__(
        self,
        commands: dict[str, str],
        *,
        cwd: Path | str | None = None,
        env: dict[str, str] | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        stable_after: float = 60.0,
        grace: float = 10.0,
        on_exit: Callable[[str, int], None] | None = None,
        output: IO[str] | None = None,
    ) -> None:
        self.children = {name: Child(name, command) for name, command in commands.items()}
        self.cwd = cwd
        self.env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.stable_after, self.grace = stable_after, grace
        self.on_exit = on_exit
        self.output = output or sys.stdout
        self._width = max((len(name) for name in commands), default=0)
        self._lock = threading.Lock()
        # A plain flag: set from a signal handler, where taking a lock could deadlock.
        self._stopping = False

    # ------------------------------------------------------------------ output

    def say(self, name: str, text: str) -> None:
        with self._lock:
            self.output.write(f"{time.strftime('%H:%M:%S')} {name:<{self._width}} | {text}\n")
            self.output.flush()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.say(name, raw.decode(errors="replace").rstrip("\n"))
        stream.close()

    # ---------------------------------------------------------------- children

    def _start(self, child: Child) -> None:
        process = subprocess.Popen(  # noqa: S603 - the Procfile's own commands
            ["/bin/sh", "-c", _exec(child.command)],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        threading.Thread(target=self._pump, args=(child.name, process.stdout), daemon=True).start()
        self.say(child.name, f"started (pid {process.pid})")

    def start(self) -> None:
        for child in self.children.values():
            self._start(child)

    def poll(self) -> None:
        """Notice exits and start what is due; call it often."""
        now = time.monotonic()
        for child in self.children.values():
            if self._stopping:
                return
            if child.process is not None and _exited(child.process):
                # Whatever the crashed process left in its group goes too, before the
                # process is reaped (its pid, the group's id, cannot be reused until then).
                _kill_group(child.process, signal.SIGKILL)
                code = child.process.wait()
                child.process = None
                ran_for = now - child.started_at
                child.failures = 1 if ran_for >= self.stable_after else child.failures + 1
                delay = min(self.backoff_initial * 2 ** (child.failures - 1), self.backoff_max)
                child.restart_at = now + delay
                self.say(child.name, f"exited with code {code}; restarting in {delay:g} s")
                if self.on_exit is not None:
                    # In a thread: a slow report must not hold up supervising the others.
                    threading.Thread(
                        target=self._report_exit, args=(child.name, code), daemon=True
                    ).start()
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._start(child)

    def _report_exit(self, name: str, code: int) -> None:
        assert self.on_exit is not None  # noqa: S101 - only started when there is one
        try:
            self.on_exit(name, code)
        except Exception as exc:  # reporting must not stop supervising
            self.say(name, f"could not report the exit: {exc!r}")

    def run(self, interval: float = 0.2) -> None:
        """Start everything and supervise until stop() (from a signal or another thread)."""
        self.start()
        try:
            while not self._stopping:
                time.sleep(interval)
                self.poll()
        finally:
            self.shutdown()

    def stop(self, *_: object) -> None:
        """Ask run() to stop everything; safe from a signal handler."""
        self._stopping = True

    def shutdown(self) -> None:
        self._stopping = True
        running = [(c, c.process) for c in self.children.values() if c.process is not None]
        for child, process in running:
            self.say(child.name, "stopping")
            _kill_group(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child, process in running:
            while not _exited(process) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _exited(process):
                self.say(child.name, f"still running after {self.grace:g} s; killing it")
            _kill_group(process, signal.SIGKILL)
            code = process.wait()
            child.process = None
            self.say(child.name, f"stopped (code {code})")


def _exec(command: str) -> str:
    """A single program (a Procfile line) replaces the shell, so its pid is the one
    watched and signalled, and its own graceful stop is waited for, not the shell's."""
    return command if re.search(r"[;&|`\n]|\$\(", command) else f"exec {command}"


def _exited(process: subprocess.Popen) -> bool:
    """Whether the process has exited, without reaping it (so its pid stays reserved)."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(process: subprocess.Popen | None, sig: int) -> None:
    if process is None or process.returncode is not None:
        return  # reaped: its pid may belong to someone else by now
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
