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


def test_incr_counts_an_existing_key_in_one_round_trip_and_refuses_a_missing_one(monkeypatch):
    import pytest

    from core import heartbeats

    cache = caches["default"]
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    sent: list[str] = []
    execute = client.execute_command

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(args[0]))
        return execute(*args, **kwargs)

    cache.delete("incr-check")
    monkeypatch.setattr(client, "execute_command", counted)
    with pytest.raises(ValueError):
        cache.incr("incr-check")
    assert cache.get("incr-check") is None  # nothing was created
    cache.set("incr-check", 5, timeout=60)
    sent.clear()
    assert cache.incr("incr-check") == 6 and cache.incr("incr-check", 10) == 16
    assert sent == ["EVAL", "EVAL"]  # one command each (Django's: EXISTS, then INCRBY)
    key = cache.make_and_validate_key("incr-check")
    assert cache.get("incr-check") == 16 and 0 < heartbeats.client().ttl(key) <= 60  # it expires
    cache.delete("incr-check")
