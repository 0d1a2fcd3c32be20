"""The Redis cache backend keeps one client per server for the whole process."""

from django.core.cache import caches


def test_cache_objects_of_different_requests_share_one_redis_client():
    # Under ASGI each request's context gets a cache object of its own (Django's
    # ``caches``): they must not each open a connection pool, and so a connection.
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second
    assert first._cache.get_client() is second._cache.get_client()  # type: ignore[attr-defined]
    assert first._cache.get_client(write=True) is second._cache.get_client()  # type: ignore[attr-defined]
    first.set("shared-client-check", 1)
    assert second.get("shared-client-check") == 1


def test_incr_counts_an_existing_key_in_one_round_trip_and_refuses_a_missing_one():
    import pytest

    from core import heartbeats

    cache = caches["default"]
    cache.delete("incr-check")
    with pytest.raises(ValueError):
        cache.incr("incr-check")
    assert cache.get("incr-check") is None  # nothing was created
    cache.set("incr-check", 5, timeout=60)
    before = heartbeats.client().info("commandstats")
    assert cache.incr("incr-check") == 6 and cache.incr("incr-check", 10) == 16
    after = heartbeats.client().info("commandstats")
    calls = {k: after[k]["calls"] - before.get(k, {"calls": 0})["calls"] for k in after}
    # One script per count (Redis counts the EXISTS and INCRBY run inside it as well).
    assert calls["cmdstat_eval"] == 2
    key = cache.make_and_validate_key("incr-check")
    assert cache.get("incr-check") == 16 and 0 < heartbeats.client().ttl(key) <= 60  # it expires
    cache.delete("incr-check")
