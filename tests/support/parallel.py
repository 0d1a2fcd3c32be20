"""What lets test runs share a machine, and pytest-xdist workers share a run.

- A test Redis database is claimed for the session: a second run on the same one stops
  with a sentence instead of flushing the first run's keys mid-test.
- A pytest plugin (loaded by the root conftest): under pytest-xdist, a test marked
  `exclusive` runs while no other test runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

# The name a test process gives its claiming Redis connection, so another run can see it.
CLIENT_NAME = "helpdesk-tests"


def claim_redis_database(url: str, db: int) -> redis.Redis:
    """One connection, to be held for the session, that marks Redis database ``db`` as
    this run's; fails the caller if another test process holds one there. The name is
    a connection setting, so a reconnection (see `keep_claim`) names itself again."""
    claim = redis.Redis.from_url(
        url, single_connection_client=True, client_name=f"{CLIENT_NAME}-{os.getpid()}"
    )
    try:
        own_id = claim.client_id()
        clients = claim.client_list()
    except redis.ResponseError:  # a hosted Redis may refuse CLIENT commands
        return claim
    others = [
        c["name"]
        for c in clients
        if c.get("name", "").startswith(CLIENT_NAME)
        and c.get("db") == str(db)
        and int(c["id"]) != own_id
    ]
    if others:
        claim.close()
        pytest.fail(
            f"Redis database {db} is in use by another test run ({others[0]}). Set "
            "TEST_REDIS_DB to another number (a run with `-n N` uses the N databases from "
            "TEST_REDIS_DB down) and TEST_DATABASE_NAME to another name.",
            pytrace=False,
        )
    return claim


def keep_claim(claim: redis.Redis) -> None:
    """Reconnect the claim if Redis was restarted since (the chaos test restarts the
    embedded one), so the run stays marked as this database's for the next tests."""
    try:
        claim.ping()
    except redis.ConnectionError:
        claim.ping()  # the failed command dropped the connection; this one reconnects


class RunLock:
    """Every test holds the run lock shared while it runs, set-up and tear-down included;
    an exclusive test holds it alone. The gate gives the exclusive one precedence: while
    it waits for the running tests to end, no other test starts (flock alone would let
    new shared holders in for as long as any is left). Both are flock(2) locks on files
    in a directory that the workers of one run share, so they end with the processes."""

    def __init__(self, directory: Path) -> None:
        self.gate = open(directory / "helpdesk-gate.lock", "a")
        self.run = open(directory / "helpdesk-run.lock", "a")

    @contextlib.contextmanager
    def hold(self, *, exclusive: bool) -> Iterator[None]:
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self.run, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(self.gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self.run, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(self.gate, fcntl.LOCK_UN)

    def close(self) -> None:
        self.gate.close()
        self.run.close()


_run_lock = pytest.StashKey[RunLock]()


def pytest_configure(config: pytest.Config) -> None:
    # An xdist worker's temporary directory is <the run's>/gwN: the parent is shared.
    basetemp = config.option.basetemp
    if os.environ.get("PYTEST_XDIST_WORKER") and basetemp:
        config.stash[_run_lock] = RunLock(Path(basetemp).parent)


def pytest_unconfigure(config: pytest.Config) -> None:
    lock = config.stash.get(_run_lock, None)
    if lock is not None:
        lock.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    lock = item.config.stash.get(_run_lock, None)
    if lock is None:
        yield
        return
    with lock.hold(exclusive=item.get_closest_marker("exclusive") is not None):
        yield
