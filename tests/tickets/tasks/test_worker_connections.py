"""A real worker keeps its PostgreSQL connection from task to task (Celery's Django fixup
otherwise closes it around every task, one new backend process per task), and replaces a
connection that broke."""

import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests import processes
from tests.tickets.tasks.worker_probe import probe_backend_pid

# Production keeps connections (CONN_MAX_AGE 60); the test settings do not.
ENV = {"DJANGO_SETTINGS_MODULE": "tests.tickets.tasks.worker_settings"}


@pytest.fixture
def worker():
    process = processes.start_worker("connections", env=ENV)
    yield process
    processes.stop(process)


def run_probes(count: int) -> list[int]:
    """Send ``count`` probe tasks one after another; the backend pid each one ran on."""
    client, key = redis.Redis.from_url(settings.REDIS_URL), f"probe:{uuid.uuid4().hex}"
    pids = []
    for _ in range(count):
        probe_backend_pid.delay(key)
        assert processes.wait_for(lambda: client.llen(key) > len(pids), timeout=60)
        pids.append(int(client.lindex(key, len(pids))))
    client.delete(key)
    return pids


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_many_tasks_on_one_connection(worker):
    pids = run_probes(100)
    assert len(set(pids)) == 1, f"{len(set(pids))} backends for 100 tasks"


@pytest.mark.django_db(transaction=True)
def test_a_worker_replaces_a_connection_that_was_terminated(worker):
    (first,) = set(run_probes(3))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        assert cursor.fetchone() == (True,)
    pids = run_probes(3)
    assert first not in pids
    assert len(set(pids)) == 1  # the next task reconnected, and the others kept that one
