"""Exactly one scheduler acts at a time: two real `manage.py scheduler` processes on one
Redis, the second waits while the first holds the lock, takes over when the first is killed
(after the lease), and a clean stop lets the lock go."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.ops.processes import alive, wait_for

LEASE = 2.0
TICK = 0.3


def _events(log: Path) -> list[dict]:
    events = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def _messages(log: Path, message: str) -> list[dict]:
    return [event for event in _events(log) if event.get("message") == message]


@pytest.fixture
def schedulers(redis_url, new_site_name, tmp_path):
    """Start scheduler processes of a throwaway site (its lock is its own) on the test Redis."""
    queue = f"failover-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "METER_SITE": new_site_name,
        "METER_REDIS_URL": redis_url,
        "METER_TEST_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "tests.ops.process_settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    started: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        command = [sys.executable, "manage.py", "scheduler", "--tick", str(TICK)]
        process = subprocess.Popen(
            [*command, "--lease", str(LEASE)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        started.append(process)
        return process, log

    import redis

    connection = redis.Redis.from_url(redis_url, socket_timeout=2)
    yield start, connection, queue, f"meter:{new_site_name}:scheduler:lock"
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    from rq import Queue

    Queue(queue, connection=connection).delete(delete_jobs=True)
    connection.delete(
        f"meter:{new_site_name}:scheduler:lock",
        f"meter:{new_site_name}:scheduler:beats",
        f"meter:{new_site_name}:periodic:apps.meter_service.jobs.heartbeat",
    )


def _holder_pid(connection, lock: str) -> int | None:
    value = connection.get(lock)
    return int(value.decode().split(":")[-2]) if value else None


def test_one_scheduler_acts_and_the_other_takes_over(schedulers, time_limit):
    time_limit(60)
    start, connection, queue_name, lock = schedulers
    from rq import Queue

    queue = Queue(queue_name, connection=connection)
    first, first_log = start("first")
    assert wait_for(lambda: _holder_pid(connection, lock) == first.pid, 20), first_log.read_text()
    second, second_log = start("second")
    # The second is up and ticking (its heartbeat), yet waits: the first holds the lock.
    assert wait_for(lambda: _messages(second_log, "scheduler started"), 20)
    assert wait_for(lambda: len(_messages(first_log, "job enqueued")) >= 4, 20)
    assert _holder_pid(connection, lock) == first.pid
    assert _messages(second_log, "job enqueued") == []
    assert _messages(second_log, "scheduler lock taken") == []
    beats = {
        key.decode().split(":")[-2] for key in connection.hkeys(lock[: -len("lock")] + "beats")
    }
    assert {str(first.pid), str(second.pid)} <= beats

    # The holder dies without a word: the lease runs out, the second takes the lock and acts.
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    enqueued_by_first = len(_messages(first_log, "job enqueued"))
    assert wait_for(lambda: _holder_pid(connection, lock) == second.pid, LEASE + 10)
    assert wait_for(lambda: _messages(second_log, "job enqueued"), 10)
    enqueued_by_second = len(_messages(second_log, "job enqueued"))
    # Every job in the queue was enqueued by one of them, once: none twice.
    assert queue.count == enqueued_by_first + enqueued_by_second

    # A clean stop lets the lock go at once.
    second.send_signal(signal.SIGTERM)
    assert second.wait(15) == 0
    assert connection.get(lock) is None
    assert not alive(second.pid)
    assert _messages(second_log, "scheduler stopped")


def test_a_clean_stop_hands_over_without_waiting_for_the_lease(schedulers, time_limit):
    time_limit(60)
    start, connection, _, lock = schedulers
    processes = {process.pid: process for process, _ in (start("one"), start("two"))}
    beats = lock[: -len("lock")] + "beats"
    assert wait_for(lambda: connection.hlen(beats) == 2, 20)
    assert wait_for(lambda: _holder_pid(connection, lock) is not None, 5)
    holder = processes.pop(_holder_pid(connection, lock))
    [other] = processes.values()
    # A long lease: only the release on SIGTERM can hand over within the wait below.
    connection.pexpire(lock, 600_000)

    holder.send_signal(signal.SIGTERM)
    assert holder.wait(15) == 0
    assert wait_for(lambda: _holder_pid(connection, lock) == other.pid, 10)
    assert connection.hlen(beats) == 1  # the stopped one took its heartbeat along
