"""`make run`'s supervisor, for real: a crashed process is restarted with a back-off, the
others keep running, /healthz shows the worker down meanwhile, and Ctrl-C stops all
(item 25 of issue 14)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from core import heartbeats
from helpdesk import launcher
from helpdesk.supervisor import Supervisor, read_procfile
from tests import processes

SLEEPER = "sleep 300"


class Output(io.StringIO):
    def text(self) -> str:
        return self.getvalue()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def pids(supervisor: Supervisor) -> dict[str, int | None]:
    return {name: c.process.pid if c.process else None for name, c in supervisor.children.items()}


@pytest.fixture
def supervised():
    exits: list[tuple[str, int]] = []
    output = Output()
    supervisor = Supervisor(
        {"web": SLEEPER, "worker": SLEEPER, "beat": SLEEPER},
        backoff_initial=0.3, backoff_max=2.0, stable_after=60, grace=5,
        on_exit=lambda name, code: exits.append((name, code)), output=output,
    )  # fmt: skip
    thread = threading.Thread(target=supervisor.run, kwargs={"interval": 0.05}, daemon=True)
    thread.start()
    assert processes.wait_for(lambda: all(pids(supervisor).values()), timeout=10)
    yield supervisor, exits, output
    supervisor.stop()
    thread.join(15)


def test_a_killed_process_is_restarted_and_the_others_are_untouched(supervised):
    supervisor, exits, output = supervised
    before = pids(supervisor)
    os.kill(before["worker"], signal.SIGKILL)
    assert processes.wait_for(lambda: pids(supervisor)["worker"] not in (None, before["worker"]))
    after = pids(supervisor)
    assert after["web"] == before["web"] and after["beat"] == before["beat"]
    assert alive(after["web"]) and alive(after["beat"]) and alive(after["worker"])
    assert processes.wait_for(lambda: exits == [("worker", -signal.SIGKILL)])
    assert "worker | exited with code -9; restarting in 0.3 s" in output.text()


def test_the_back_off_doubles_while_a_process_keeps_crashing(supervised):
    supervisor, exits, output = supervised
    for _ in range(3):
        pid = pids(supervisor)["beat"]
        os.kill(pid, signal.SIGKILL)
        assert processes.wait_for(lambda pid=pid: pids(supervisor)["beat"] not in (None, pid))
    text = output.text()
    assert "restarting in 0.3 s" in text and "restarting in 0.6 s" in text
    assert "restarting in 1.2 s" in text
    assert supervisor.children["beat"].restarts == 3
    assert supervisor.children["web"].restarts == supervisor.children["worker"].restarts == 0


def test_stopping_ends_every_process_and_restarts_nothing(supervised):
    supervisor, exits, output = supervised
    running = list(pids(supervisor).values())
    supervisor.stop()
    assert processes.wait_for(lambda: not any(alive(pid) for pid in running), timeout=10)
    time.sleep(0.5)
    assert all(c.process is None for c in supervisor.children.values())
    assert exits == [] and "restarting" not in output.text()


GRACEFUL = """
import signal, sys, time
def bye(*args):
    time.sleep(1)
    open(sys.argv[1], "w").write("bye")
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
time.sleep(300)
"""
RUN = """
import json, signal, sys
from helpdesk.supervisor import Supervisor
s = Supervisor(json.loads(sys.argv[1]), grace=3)
signal.signal(signal.SIGINT, s.stop)
s.run(interval=0.05)
print("supervisor done", flush=True)
"""


def test_ctrl_c_stops_the_supervisor_and_every_process_group(tmp_path):
    # One with a child of its own and one that ignores SIGTERM: all must be gone after
    # Ctrl-C (a group gets SIGKILL after the grace time). One takes a moment to stop on
    # SIGTERM: it is given that moment.
    (tmp_path / "graceful.py").write_text(GRACEFUL)
    commands = {
        "web": "sleep 300 & sleep 300",
        "stubborn": "trap '' TERM; sleep 300 & wait",
        "graceful": f"{sys.executable} {tmp_path / 'graceful.py'} {tmp_path / 'bye'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, json.dumps(commands)], cwd=launcher.BASE_DIR,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    assert processes.wait_for(lambda: sum("started (pid" in line for line in lines) == 3)
    time.sleep(1)  # the graceful one has set its handler by now
    children = [int(line.split("pid ")[1].rstrip(")\n")) for line in lines if "started" in line]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(15) == 0
    reader.join(5)
    assert "supervisor done\n" in lines
    assert (tmp_path / "bye").read_text() == "bye", "the graceful stop was cut short"
    assert not any(alive(pid) for pid in children)

    def survivors() -> list[str]:
        table = subprocess.run(["ps", "-eo", "pgid=,stat="], capture_output=True, text=True)
        return [row for row in table.stdout.splitlines() if row.split()[0] in
                {str(pid) for pid in children} and not row.split()[1].startswith("Z")]  # fmt: skip

    # SIGKILL is delivered at once; the kernel may take a moment to finish the processes.
    assert processes.wait_for(lambda: not survivors(), timeout=5), survivors()


def test_the_procfile_is_read_in_order():
    commands = read_procfile(launcher.BASE_DIR / "Procfile")
    assert list(commands) == ["web", "push", "worker", "beat"]
    assert "--hostname worker@%h" in commands["worker"]


@pytest.mark.django_db(transaction=True)
def test_healthz_shows_a_crashed_worker_down_until_it_is_restarted(client, tmp_path, monkeypatch):
    # The supervisor starts its children with this environment under its own: without
    # this, an xdist worker's id came back and the child counted its Redis database down
    # once more (gw1's worker wrote its heartbeats to database 13, /healthz read 14).
    for name in [name for name in os.environ if name.startswith("PYTEST_XDIST_")]:
        monkeypatch.delenv(name)
    heartbeats.client().delete(heartbeats.WORKERS_KEY, heartbeats.BEAT_KEY)
    procfile = read_procfile(launcher.BASE_DIR / "Procfile")
    worker = procfile["worker"]  # at INFO: a failure shows whether it became ready
    output = Output()
    supervisor = Supervisor(
        {"worker": f"{worker} --without-mingle --without-gossip"},
        cwd=launcher.BASE_DIR, env={**processes._env(), **launcher.child_environment()},
        backoff_initial=2.0, on_exit=launcher.forget_heartbeat, output=output,
    )  # fmt: skip
    thread = threading.Thread(target=supervisor.run, kwargs={"interval": 0.05}, daemon=True)
    thread.start()

    seen: list[dict] = []

    def worker_ok() -> bool:
        seen[:] = [client.get("/healthz").json()["checks"]["worker"]]
        return seen[0]["ok"]

    def why() -> str:
        beats = heartbeats.client().zrange(heartbeats.WORKERS_KEY, 0, -1, withscores=True)
        return f"{output.text()}\nhealthz worker: {seen}\nheartbeats: {beats} at {time.time()}"

    try:
        assert processes.wait_for(worker_ok, timeout=60), why()
        # SIGKILL: no clean shutdown, no worker_shutdown signal to forget the heartbeat.
        os.killpg(supervisor.children["worker"].process.pid, signal.SIGKILL)
        assert processes.wait_for(lambda: not worker_ok(), timeout=1.5)
        assert supervisor.children["worker"].restarts == 0, "down while the back-off runs"
        assert processes.wait_for(worker_ok, timeout=60), why()
        assert supervisor.children["worker"].restarts == 1
    finally:
        supervisor.stop()
        thread.join(30)


@pytest.mark.django_db
def test_a_crashed_beat_is_reported_down_at_once(client):
    heartbeats.record_beat()
    health = client.get("/healthz").json()
    assert health["checks"]["beat"]["ok"], (health, heartbeats.client().get(heartbeats.BEAT_KEY))
    launcher.forget_heartbeat("beat", -signal.SIGKILL)
    assert not client.get("/healthz").json()["checks"]["beat"]["ok"]
