"""Django's Redis cache backend, reusing its Redis clients.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
call, and redis-py's constructor copies some 170 response callbacks each time: more
CPU than the GET it is made for, twice or more on every request (the session, the
sidebar counts, the SOP banner). A ``redis.Redis`` is safe to share between threads
(each command borrows a connection from the pool), so one per pool is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    # Django's private attributes read below (the stubs leave them out).
    _pools: dict[int, Any]
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
            pool = self._pools.get(index)
            if pool is None:
                pool = self._pools.setdefault(index, self._pool_class.from_url(
                    self._servers[index], **self._pool_options))  # fmt: skip
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
