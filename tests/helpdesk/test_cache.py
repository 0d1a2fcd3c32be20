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
