"""/health/ answers whatever hangs: each check has its own time limit and one that does not
answer within it is reported as timed out, the others as they are.

Against a Redis that is frozen (SIGSTOP: the kernel still accepts connections, nothing
answers) and an address that accepts TCP and never says a word."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest
from django.conf import settings

from apps.meter_service import health
from tests.ops.conftest import free_port
from tests.ops.processes import wait_for

REDIS_CHECKS = ("redis", "queue", "worker", "scheduler")


@pytest.fixture
def short_limit(settings):
    """Health checks get 1 s; Redis clients would wait 30 s, so the limit is what ends them."""
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "HEALTH_CHECK_TIMEOUT_SECONDS": 1,
        "REDIS_CONNECT_TIMEOUT_SECONDS": 30,
        "REDIS_TIMEOUT_SECONDS": 30,
    }
    yield
    # The hanging checks' threads end once their server is gone (closed by the fixtures).
    for thread in list(health._running.values()):
        thread.join(10)
    assert not any(thread.is_alive() for thread in health._running.values())


@pytest.fixture
def frozen_redis(own_redis):
    process, url = own_redis
    os.kill(process.pid, signal.SIGSTOP)
    yield url
    os.kill(process.pid, signal.SIGKILL)  # a stopped process dies of SIGKILL too


@pytest.fixture
def silent_address():
    """A port that accepts TCP connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(16)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()  # the waiting connections are reset: the checks' threads end


def _health(client) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.get("/health/")
    return response.status_code, response.json(), time.monotonic() - started


@pytest.mark.django_db
@pytest.mark.parametrize("hanging", ["frozen_redis", "silent_address"])
def test_health_answers_with_the_hanging_checks_timed_out(
    hanging, request, client, settings, short_limit, time_limit
):
    time_limit(30)
    settings.REDIS_URL = request.getfixturevalue(hanging)

    status, body, took = _health(client)

    print(f"/health/ with {hanging}: {took:.2f} s")  # a figure, not an assertion
    assert status == 503 and body["status"] == "error"
    checks = body["checks"]
    for name in REDIS_CHECKS:
        assert checks[name]["status"] == "timeout", (name, checks[name])
        assert checks[name]["error"] == "no answer within 1 s"
    # What does not hang is reported as it is.
    assert checks["database"]["status"] == "ok"
    assert checks["sms"]["status"] == "ok" and checks["gateway"]["status"] == "ok"

    # A probe while the first one's checks still hang does not start more threads.
    threads = {name: health._running[name] for name in REDIS_CHECKS}
    status, body, _ = _health(client)
    assert status == 503
    assert body["checks"]["redis"] == {
        "status": "timeout",
        "error": "the previous run of this check has not ended yet",
    }
    assert {name: health._running[name] for name in REDIS_CHECKS} == threads


@pytest.mark.django_db
def test_a_redis_that_thaws_is_reported_ok_again(client, settings, own_redis, short_limit):
    process, url = own_redis
    settings.REDIS_URL = url
    os.kill(process.pid, signal.SIGSTOP)
    try:
        _, body, _ = _health(client)
        assert body["checks"]["redis"]["status"] == "timeout"
    finally:
        os.kill(process.pid, signal.SIGCONT)

    assert wait_for(lambda: not health._running["redis"].is_alive(), 10)
    _, body, _ = _health(client)
    assert body["checks"]["redis"]["status"] == "ok"


def test_the_site_gives_every_redis_client_its_time_limits():
    """Cache (and so sessions and locks), the job queues and /health/ all get them."""
    rules = settings.METER_SERVICE
    expected = {
        "socket_connect_timeout": float(rules["REDIS_CONNECT_TIMEOUT_SECONDS"]),
        "socket_timeout": float(rules["REDIS_TIMEOUT_SECONDS"]),
    }
    assert expected == settings.REDIS_TIMEOUTS
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["OPTIONS"] == expected
    import django_rq

    for name in settings.RQ_QUEUES:
        kwargs = django_rq.get_connection(name).connection_pool.connection_kwargs
        assert {key: kwargs[key] for key in expected} == expected
    if settings.REDIS_URL:
        client_kwargs = health.redis_client().connection_pool.connection_kwargs
        assert {key: client_kwargs[key] for key in expected} == expected


@pytest.mark.django_db
def test_the_worker_check_leaves_the_health_clients_time_limits_alone(client, redis_url):
    """rq.Worker objects raise their client's answer timeout to minutes: after one /health/
    a frozen Redis held the next probes' checks for 415 s."""
    client.get("/health/")
    kwargs = health.redis_client().connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == float(settings.METER_SERVICE["REDIS_TIMEOUT_SECONDS"])
