"""The outbox under chaos: real workers killed with SIGKILL every few seconds and Redis
restarted once, yet every webhook reaches the receiver, which acts on each key once."""

import os

import pytest

from bench.chaos import PROCESS_ENV, run
from tests import processes

# Short timeouts so rows a killed worker left behind are retried within seconds.
ENV = {
    **PROCESS_ENV,
    "NOTIFICATION_SENDING_TIMEOUT": "5",
    "NOTIFICATION_SWEEP_SECONDS": "2",
    "NOTIFICATION_REENQUEUE_SECONDS": "10",
}


# It restarts the Redis server that every test shares, and its timings assume workers
# that no other test competes with: under pytest-xdist it runs alone.
@pytest.mark.exclusive
@pytest.mark.django_db(transaction=True)
def test_no_notification_is_lost_when_workers_die_and_redis_restarts(settings, tmp_path):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    lines = []
    report = run(
        count=1000,
        start_worker=lambda: processes.start_worker("chaos", concurrency=2, env=ENV),
        start_beat=lambda: processes.start_beat(tmp_path / "beat", env=ENV),
        kill_every=float(os.environ.get("CHAOS_KILL_EVERY", "3")),
        # Only the embedded Redis can be restarted from here.
        restart_redis=not os.environ.get("REDIS_URL"),
        timeout=240,
        log=lambda line: (lines.append(line), print(line, flush=True)),
    )
    print("\n".join(lines + report.lines()))
    assert report.kills >= 2, "the run ended before the workers were killed"
    assert report.missing == 0 and report.dead == 0
    assert report.delivered == 1000 and report.acted_keys == 1000
    # Every key was acted on with a valid signature; a request a kill cut short arrives
    # truncated, is refused by its signature (report.rejected) and is sent again.
    # Rows a killed worker left mid-send went out again well within a minute.
    assert max(report.redelivery_seconds, default=0) < 60
