"""Redis behind Sentinel: the cache (and so sessions), the job queues, the scheduler's lease
and /health/'s client ask the sentinels for the master, and follow a failover without a
restart. A real primary, replica and three sentinels run on local ports."""

from __future__ import annotations

import time

import pytest

from apps.meter_service.backends.redis_cache import ResilientRedisCache, sentinel_master
from tests.ops.conftest import free_port
from tests.ops.redis_sentinels import sentinel_set

TIMEOUTS = {"socket_timeout": 1.0, "socket_connect_timeout": 0.5}


@pytest.fixture
def redis_set(tmp_path):
    # Free ports: CI runs the SQLite and the MariaDB suites side by side.
    primary, replica, *sentinels = (free_port() for _ in range(5))
    with sentinel_set(tmp_path, primary, replica, sentinels) as group:
        yield group


def _until(call, seconds: float = 30):
    """Call until it returns something true (the first calls after a failover meet the dead
    master's connections, or the cache's skip after an outage)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = call()
        except Exception:
            if time.monotonic() > deadline:
                raise
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, "no answer from the promoted master"
        time.sleep(0.25)


def test_the_site_writes_to_the_promoted_replica_after_the_primary_dies(redis_set):
    import redis
    from django_rq.connection_utils import get_redis_connection
    from rq import Queue

    from apps.meter_service.scheduling import SchedulerLease

    url = "redis://mymaster/3"
    cache = ResilientRedisCache(
        url,
        {
            "KEY_PREFIX": "sentinel-test",
            "OPTIONS": {
                **TIMEOUTS,
                "sentinels": redis_set.sentinels,
                "sentinel_master": "mymaster",
            },
        },
    )
    # As settings.RQ_QUEUES has it for a site that names sentinels (django_rq's SENTINELS).
    rq_config = {
        "SENTINELS": redis_set.sentinels,
        "MASTER_NAME": "mymaster",
        "DB": 3,
        "SOCKET_TIMEOUT": 1.0,
        "SENTINEL_KWARGS": dict(TIMEOUTS),
    }
    rq_connection = get_redis_connection(rq_config)
    health = sentinel_master(url, redis_set.sentinels, "mymaster", **TIMEOUTS)
    lease = SchedulerLease(rq_connection, seconds=30, identity="scheduler-a")

    cache.set("before", "1", 300)
    assert cache.get("before") == "1"
    assert lease.hold()
    Queue("sentinel-test", connection=rq_connection).enqueue("builtins.print", "before")

    redis_set.kill("primary")
    promoted = redis_set.wait_for_failover()
    assert promoted == redis_set.ports["replica"]

    # The same objects, no restart: each reaches the promoted replica.
    _until(lambda: cache.set("after", "2", 300) is None and cache.get("after") == "2")
    _until(lambda: Queue("sentinel-test", connection=rq_connection).enqueue("builtins.print"))
    _until(lambda: lease.hold())
    _until(lambda: health.ping())

    on_promoted = redis.Redis(port=redis_set.ports["replica"], db=3, socket_timeout=2)
    keys = {key.decode() for key in on_promoted.keys("*")}
    assert any(key.endswith(":after") for key in keys)
    assert any(key.endswith(":before") for key in keys)  # replicated before the failover
    assert on_promoted.llen("rq:queue:sentinel-test") == 2
    assert lease.holder() == "scheduler-a"
