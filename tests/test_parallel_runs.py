"""Test runs side by side: each pytest-xdist worker, and each process a test starts, uses
its own test database and Redis database, and an `exclusive` test runs alone."""

import subprocess
import sys
import threading

import pytest
import redis
from django.conf import settings
from django.db import connection

from helpdesk.settings_test import _test_redis_db
from tests import processes
from tests.support.parallel import RunLock, claim_redis_database, keep_claim


def test_each_xdist_worker_counts_down_from_the_base_redis_database():
    assert _test_redis_db(15, "") == 15  # not under xdist
    assert [_test_redis_db(12, f"gw{n}") for n in range(3)] == [12, 11, 10]
    with pytest.raises(ValueError, match="no Redis database above 0"):
        _test_redis_db(2, "gw2")  # database 0 is the development data


@pytest.mark.django_db
def test_a_process_started_by_a_test_uses_the_same_databases():
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.REDIS_URL); print(settings.DATABASES['default']['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=processes.BASE_DIR, env=processes._env(),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [settings.REDIS_URL, connection.settings_dict["NAME"]]


def test_a_second_run_on_the_same_redis_database_is_stopped():
    # This session holds its claim (the root conftest); another one is refused.
    with pytest.raises(pytest.fail.Exception, match="is in use by another test run"):
        claim_redis_database(settings.REDIS_URL, settings.TEST_REDIS_DB)


def test_the_claim_holds_after_its_connection_is_dropped(_clean_test_redis):
    # As when the chaos test restarts Redis: the next test's set-up reconnects the claim.
    other = redis.Redis.from_url(settings.REDIS_URL)
    other.client_kill_filter(_id=_clean_test_redis.client_id())
    keep_claim(_clean_test_redis)
    with pytest.raises(pytest.fail.Exception, match="is in use by another test run"):
        claim_redis_database(settings.REDIS_URL, settings.TEST_REDIS_DB)
    other.close()


def test_an_exclusive_test_waits_for_running_ones_and_goes_before_new_ones(tmp_path):
    running, alone, newcomer = RunLock(tmp_path), RunLock(tmp_path), RunLock(tmp_path)
    order: list[str] = []
    release_running, release_alone = threading.Event(), threading.Event()

    def hold(lock: RunLock, name: str, release: threading.Event | None, *, exclusive: bool):
        with lock.hold(exclusive=exclusive):
            order.append(name)
            if release is not None:
                release.wait(10)

    threads = [threading.Thread(target=hold, args=(running, "running", release_running),
                                kwargs={"exclusive": False})]  # fmt: skip
    threads[0].start()
    while order != ["running"]:
        threading.Event().wait(0.01)
    threads.append(threading.Thread(target=hold, args=(alone, "exclusive", release_alone),
                                    kwargs={"exclusive": True}))  # fmt: skip
    threads[1].start()
    threading.Event().wait(0.3)
    threads.append(threading.Thread(target=hold, args=(newcomer, "newcomer", None),
                                    kwargs={"exclusive": False}))  # fmt: skip
    threads[2].start()
    threading.Event().wait(0.3)
    assert order == ["running"], "nothing starts beside a running test's shared hold"
    release_running.set()
    threads[0].join(5)
    threading.Event().wait(0.3)
    assert order == ["running", "exclusive"], "the waiting exclusive test goes first"
    release_alone.set()
    for thread in threads:
        thread.join(5)
    assert order == ["running", "exclusive", "newcomer"]
    for lock in (running, alone, newcomer):
        lock.close()
