"""Root fixtures: a clean test Redis database, and people in every role."""

import pytest
from django.conf import settings

from core import heartbeats


@pytest.fixture(autouse=True, scope="session")
def _clean_test_redis():
    # The test settings point at their own Redis database (TEST_REDIS_DB), so
    # flushing it never touches development data.
    assert settings.REDIS_URL.endswith(
        f"db={settings.TEST_REDIS_DB}"
    ) or settings.REDIS_URL.endswith(f"/{settings.TEST_REDIS_DB}")
    heartbeats.client().flushdb()
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
