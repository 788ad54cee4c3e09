"""Fixtures for the operations tests: Redis-backed queues and throwaway sites."""

from __future__ import annotations

import shutil
import uuid

import pytest
from django.conf import settings

from sites import siteconfig
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401


@pytest.fixture
def redis_url():
    """The site's Redis URL; skips the test on a site without Redis (the SQLite run)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set METER_REDIS_URL")
    return settings.REDIS_URL


@pytest.fixture
def rq_queue(redis_url, monkeypatch):
    """A queue of its own on the site's Redis, known to django_rq, emptied afterwards."""
    import django_rq
    import django_rq.settings

    name = f"ops-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setitem(django_rq.settings.QUEUES, name, {"URL": redis_url, "DEFAULT_TIMEOUT": 60})
    queue = django_rq.get_queue(name, commit_mode="auto")
    yield queue
    queue.delete(delete_jobs=True)


@pytest.fixture
def new_site_name():
    """A unique site name; its folder under sites/ is removed afterwards."""
    name = f"ops_{uuid.uuid4().hex[:10]}"
    yield name
    shutil.rmtree(siteconfig.site_dir(name), ignore_errors=True)


# --- real processes: ports, a Redis of the test's own, a bound on each test's time ----------


def free_port() -> int:
    """A free port on 127.0.0.1: from METER_TEST_PORTS ("20700-20799") when the machine is
    shared and each runner has its range, else one the system picks."""
    import os
    import random
    import socket

    span = os.environ.get("METER_TEST_PORTS", "")
    candidates = [0]
    if span:
        low, high = (int(part) for part in span.split("-"))
        candidates = random.sample(range(low, high + 1), high - low + 1)
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in {span}")


@pytest.fixture
def time_limit():
    """Bound a test that drives real processes: past `seconds` it fails (SIGALRM) instead of
    hanging the run. Use: time_limit(40)."""
    import signal

    def expired(signum, frame):
        raise TimeoutError("the test ran past its time limit")

    previous = signal.signal(signal.SIGALRM, expired)

    def start(seconds: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield start
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own (no persistence); yields its Popen and URL."""
    import subprocess

    from tests.ops.processes import wait_for

    redis = pytest.importorskip("redis")
    port = free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--bind", "127.0.0.1", "--port", str(port)),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    assert wait_for(answers, 10), "redis-server did not start"
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait(5)
