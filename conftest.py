"""Root fixtures: a clean test Redis database, and people in every role.

`make test` runs the suite in pytest-xdist workers (gw0, gw1, ...): each has its own test
database (pytest-django appends the worker's id to its name) and its own Redis database
(helpdesk/settings_test.py), and a test marked `exclusive` runs while no other test does
(tests/support/parallel.py)."""

import pytest
from django.conf import settings

from core import heartbeats

# Chat's lines and helpers serve its own tests and the browser tests.
pytest_plugins = ["tests.support.parallel", "tests.chat.fixtures"]


@pytest.fixture(autouse=True, scope="session")
def _clean_test_redis():
    # The test settings point at their own Redis database (TEST_REDIS_DB), so
    # flushing it never touches development data.
    assert settings.REDIS_URL.endswith(
        f"db={settings.TEST_REDIS_DB}"
    ) or settings.REDIS_URL.endswith(f"/{settings.TEST_REDIS_DB}")
    from tests.support.parallel import claim_redis_database

    claim = claim_redis_database(settings.REDIS_URL, settings.TEST_REDIS_DB)
    heartbeats.client().flushdb()
    yield claim
    claim.close()


@pytest.fixture(autouse=True)
def _default_language():
    # A request through the test client leaves its language active in the thread; a
    # sentence made by the next test would come out in it.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache(_clean_test_redis):
    from django.core.cache import cache

    from tests.support.parallel import keep_claim

    keep_claim(_clean_test_redis)
    cache.clear()
    # identity's per-process copy of the access policies: a test's rows (or a flush that
    # removed the migration's) must not be read from the previous test's copy.
    from identity import policy

    policy.forget()
    yield
