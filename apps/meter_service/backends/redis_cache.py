"""Django's Redis cache, keeping one Redis client per connection pool.

Django's client builds a new `redis.Redis` object for every cache call (about a tenth of a
millisecond of Python each, more than the round trip itself on a local Redis). A
`redis.Redis` over a pool is safe to share between threads, and its pool makes a new
connection after a fork, so one per pool is kept and reused.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends import redis
from redis import ConnectionPool, Redis
from redis import exceptions as redis_errors

logger = logging.getLogger("meter_service.cache")


def sentinel_master(url: str, sentinels, master: str, **options):
    """A client of the master that the sentinels name, asked again at every new connection:
    after a failover the old master's connections fail (or answer READONLY, which redis-py
    turns into a lost connection) and the next ones go to the promoted replica. The URL gives
    the database number and password; `options` are the connections' (timeouts)."""
    from redis.connection import parse_url
    from redis.sentinel import Sentinel

    parsed = parse_url(url)
    kwargs = {key: parsed[key] for key in ("db", "password", "username") if key in parsed}
    kwargs.update(options)
    timeouts = {
        key: options[key] for key in ("socket_timeout", "socket_connect_timeout") if key in options
    }
    sentinel = Sentinel([tuple(each) for each in sentinels], sentinel_kwargs=timeouts, **kwargs)
    return sentinel.master_for(master)


class RedisCacheClient(redis.RedisCacheClient):
    # Django's client sets these; its stubs leave them out, being private.
    _pools: dict[int, ConnectionPool]
    _servers: list[str]
    _pool_options: dict[str, Any]
    _client: type[Redis]

    def __init__(self, servers, *, sentinels=None, sentinel_master: str = "", **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._sentinels = sentinels or []
        self._sentinel_master = sentinel_master

    def _get_connection_pool(self, write: bool) -> ConnectionPool:
        if not self._sentinels:
            return super()._get_connection_pool(write)  # type: ignore[misc]  # private: no stub
        # One pool of the master for reads and writes (replicas may lag behind a write).
        if 0 not in self._pools:
            self._pools[0] = sentinel_master(
                self._servers[0], self._sentinels, self._sentinel_master, **self._pool_options
            ).connection_pool
        return self._pools[0]

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


# --- Redis down: the site goes on without its cache -----------------------------------------
_OUTAGE_ERRORS = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
)
# After a failure the cache is skipped for this long, so a request does not wait on Redis
# for every cache call while it is down.
SKIP_SECONDS = 5.0
_FALLBACKS: dict[str, object] = {
    "get": None,  # the caller's default, below
    "get_many": {},
    "add": False,
    "set": None,
    "set_many": [],
    "touch": False,
    "delete": False,
    "delete_many": None,
    "has_key": False,
    "clear": None,
}


class ResilientRedisCache(RedisCache):
    """The Redis cache, but a Redis outage is a cache miss, not an error page.

    With Redis down every API call answered an HTML 500 (the roles cache). Reads miss,
    writes are dropped and `incr` raises ValueError (as for a missing key), so every caller
    falls back to the database: roles and memberships are read from it, sessions
    (cached_db) too, rate limits start again from zero. Each failure is logged once per
    SKIP_SECONDS, while the cache is skipped.
    """

    _down_until = 0.0  # per instance (Django keeps one per thread)

    def _call(self, name: str, *args, **kwargs):
        now = time.monotonic()
        if now < self._down_until:
            return self._fallback(name, args, kwargs)
        try:
            return getattr(super(), name)(*args, **kwargs)
        except _OUTAGE_ERRORS as exc:
            self._down_until = now + SKIP_SECONDS
            logger.warning("redis unavailable: cache skipped", extra={"error": str(exc)[:200]})
            return self._fallback(name, args, kwargs)

    @staticmethod
    def _fallback(name: str, args, kwargs):
        if name == "get":
            return kwargs.get("default", args[1] if len(args) > 1 else None)
        if name in ("incr", "decr"):
            raise ValueError("the cache is unavailable")
        fallback = _FALLBACKS[name]
        return dict(fallback) if isinstance(fallback, dict) else fallback

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def decr(self, *args, **kwargs):
        return self._call("decr", *args, **kwargs)

    def clear(self, *args, **kwargs):
        return self._call("clear", *args, **kwargs)
