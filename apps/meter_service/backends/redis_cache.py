"""Django's Redis cache, keeping one Redis client per connection pool.

Django's client builds a new `redis.Redis` object for every cache call (about a tenth of a
millisecond of Python each, more than the round trip itself on a local Redis). A
`redis.Redis` over a pool is safe to share between threads, and its pool makes a new
connection after a fork, so one per pool is kept and reused.
"""

from __future__ import annotations

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write: bool = False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
