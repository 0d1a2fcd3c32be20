import signal

import pytest
from django.test import override_settings

from core import heartbeats
from tests import processes

pytestmark = pytest.mark.django_db


def health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_healthz_is_503_and_names_worker_and_beat_when_they_never_ran(client):
    heartbeats.client().delete(heartbeats.WORKERS_KEY, heartbeats.BEAT_KEY)
    status, body = health(client)
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert not body["checks"]["worker"]["ok"]
    assert not body["checks"]["beat"]["ok"]


def test_healthz_is_200_with_a_real_worker_and_beat_and_503_after_the_worker_is_killed(
    client, tmp_path
):
    heartbeats.client().delete(heartbeats.WORKERS_KEY, heartbeats.BEAT_KEY)
    worker = processes.start_worker("health")
    beat = processes.start_beat(tmp_path / "beat-schedule")
    try:
        assert processes.wait_for(lambda: health(client)[0] == 200, timeout=60), health(client)
        _, body = health(client)
        assert any(name.startswith("health@") for name in body["checks"]["worker"]["workers"])

        # SIGKILL: no clean shutdown, so the heartbeat has to go stale.
        processes.stop(worker, signal.SIGKILL)
        assert processes.wait_for(
            lambda: not health(client)[1]["checks"]["worker"]["ok"], timeout=15
        )
        status, body = health(client)
        assert status == 503 and body["checks"]["beat"]["ok"]
    finally:
        processes.stop(worker)
        processes.stop(beat)


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_reports_redis_down_without_raising(client):
    status, body = health(client)
    assert status == 503
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"]


def test_healthz_is_not_cached_and_takes_no_post(client):
    response = client.get("/healthz")
    assert "no-store" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_heartbeats_survive_redis_being_away(settings, tmp_path, caplog):
    # Beat records its heartbeat on every tick; an exception there would kill beat
    # (and every sweep with it) while Redis restarts.
    settings.REDIS_URL = f"unix://{tmp_path / 'nothing-here.sock'}?db=0"
    heartbeats.record_beat()
    heartbeats.record_worker("w@host")
    assert "Could not record the beat heartbeat" in caplog.text
    assert "Could not record the worker heartbeat" in caplog.text
