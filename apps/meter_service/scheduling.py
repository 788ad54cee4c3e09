"""Periodic jobs: which job runs how often, a Redis-held clock of when each last ran, and the
lock that lets one scheduler act at a time.

The last-run times live in Redis, so a restart does not enqueue a job twice in one interval:
a SET NX with the interval as its expiry claims each run. Several scheduler processes may run
(one per machine, for failover); only the one holding the lease (SchedulerLease) enqueues, and
it takes each claim in the same Redis step that checks it still holds the lease, so one that
stalled past its lease (swapped out, stopped) and wakes up cannot act beside its successor.
"""

from __future__ import annotations

import datetime
import os
import socket
import uuid
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PeriodicJob:
    path: str
    every_seconds: int
    queue: str = "default"


def due_jobs() -> list[PeriodicJob]:
    return [PeriodicJob(**job) for job in settings.METER_PERIODIC_JOBS]


def enqueue_due(lease: SchedulerLease | None = None) -> list[str]:
    """Enqueue every periodic job whose interval has passed; return their paths.

    With a lease, a claim is taken only while the lease is still this process's."""
    import django_rq

    enqueued = []
    for job in due_jobs():
        queue = django_rq.get_queue(job.queue, commit_mode="auto")
        claim = f"meter:{settings.SITE_NAME}:periodic:{job.path}"
        if lease is not None:
            claimed = lease.claim(claim, job.every_seconds)
        else:
            claimed = bool(queue.connection.set(claim, "1", nx=True, ex=job.every_seconds))
        if claimed:
            try:
                queue.enqueue(job.path)
            except Exception:
                queue.connection.delete(claim)  # not enqueued: let the next tick try again
                raise
            enqueued.append(job.path)
    return enqueued


# --- one scheduler at a time ------------------------------------------------------------------

# KEYS[1] the lock; ARGV[1] this process's identity, ARGV[2] the lease (ms). Take the lock if
# free, or renew it if ours: 1 when this process holds it afterwards, else 0.
_TAKE_OR_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# KEYS[1] the lock, KEYS[2] a job's claim; ARGV[1] identity, ARGV[2] the interval (s).
_CLAIM_IF_HOLDER = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('set', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE_IF_HOLDER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def scheduler_lock_key() -> str:
    return f"meter:{settings.SITE_NAME}:scheduler:lock"


def scheduler_beats_key() -> str:
    """A hash: each scheduler process's identity -> when it last ticked (ISO, UTC)."""
    return f"meter:{settings.SITE_NAME}:scheduler:beats"


def scheduler_connection():
    """The Redis of the default queue (with the site's Redis time limits)."""
    import django_rq

    return django_rq.get_connection("default")


class SchedulerLease:
    """A lock with a lease in Redis: held by one scheduler process, renewed at every tick,
    and free for another to take when its holder has not renewed it for `seconds`."""

    def __init__(self, connection, *, seconds: float, identity: str | None = None) -> None:
        self.connection = connection
        self.key = scheduler_lock_key()
        self.ms = max(1, int(seconds * 1000))
        self.identity = identity or (f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    def hold(self) -> bool:
        """Take the lock if it is free, renew it if it is ours; whether we hold it now."""
        return bool(self.connection.eval(_TAKE_OR_RENEW, 1, self.key, self.identity, self.ms))

    def claim(self, claim_key: str, every_seconds: int) -> bool:
        """Claim one run of a periodic job, if this process still holds the lock."""
        return bool(
            self.connection.eval(
                _CLAIM_IF_HOLDER, 2, self.key, claim_key, self.identity, int(every_seconds)
            )
        )

    def release(self) -> None:
        """Let the lock go (on a clean stop), so another scheduler takes over at its next tick."""
        self.connection.eval(_RELEASE_IF_HOLDER, 1, self.key, self.identity)

    def holder(self) -> str | None:
        return scheduler_lock_holder(self.connection)


def scheduler_lock_holder(connection) -> str | None:
    """The identity of the scheduler process holding the lock (host:pid:nonce), if any."""
    value = connection.get(scheduler_lock_key())
    return value.decode() if isinstance(value, bytes) else value


def scheduler_beat(connection, identity: str, *, forget_after: float) -> None:
    """Record that this scheduler process ticked (read by /health/), and forget processes
    that have not ticked for `forget_after` seconds (stopped or killed long ago)."""
    key = scheduler_beats_key()
    now = datetime.datetime.now(datetime.UTC)
    connection.hset(key, identity, now.isoformat())
    for other, stamp in connection.hgetall(key).items():
        age = beat_age(stamp, now)
        if age is None or age > forget_after:
            connection.hdel(key, other)


def scheduler_beats(connection) -> dict[str, float | None]:
    """Each known scheduler process and how long ago it ticked (seconds)."""
    now = datetime.datetime.now(datetime.UTC)
    return {
        (name.decode() if isinstance(name, bytes) else name): beat_age(stamp, now)
        for name, stamp in connection.hgetall(scheduler_beats_key()).items()
    }


def beat_age(stamp, now: datetime.datetime) -> float | None:
    if isinstance(stamp, bytes):
        stamp = stamp.decode()
    try:
        at = datetime.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return (now - at).total_seconds()
