"""Django's Redis cache backend, reusing its Redis clients (and counting in one round trip).

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
call, and redis-py's constructor copies some 170 response callbacks each time: more
CPU than the GET it is made for, twice or more on every request (the session, the
sidebar counts, the SOP banner). A ``redis.Redis`` is safe to share between threads
(each command borrows a connection from the pool), so one per server is kept for the
whole process: under ASGI, Django's ``caches`` gives each request's context a cache
object of its own, and with a pool of its own each stream opening on the push server
connected to Redis again (a twentieth of its CPU at 600 agents, bench/agents.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# (server, pool options) -> the process's redis.Redis for it; redis-py's pool starts
# afresh in a forked child by itself.
_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    # Django's private attributes read below (the stubs leave them out).
    _pool_class: Any
    _pool_options: dict[str, Any]
    _servers: list[str]
    _client: Any
    _get_connection_pool_index: Callable[[bool], int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            server = (self._servers[index], repr(sorted(self._pool_options.items())))
            with _clients_lock:
                client = _clients.get(server)
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = _clients[server] = self._client(connection_pool=pool)
            self._clients[index] = client
        return client

    def incr(self, key: Any, delta: int) -> Any:
        """Django's asks EXISTS, then INCRBY: two round trips on every rate-limited request
        (django-ratelimit counts with ``incr``), and a key that expires between the two
        comes back as a counter that never expires. One script does both at once."""
        value = self.get_client(key, write=True).eval(_INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


# INCRBY of a key that exists; nil (None) if it does not.
_INCR_EXISTING = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end
return false
"""


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
