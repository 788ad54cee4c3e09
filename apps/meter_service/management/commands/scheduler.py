"""The scheduler process: enqueue periodic jobs on RQ at their intervals, and sweep the
outbox each tick (Procfile role).

Any number may run, on one machine or several: the one holding the lock in Redis acts, the
others wait and take over within SCHEDULER_LEASE_SECONDS when it stops renewing the lock
(apps/meter_service/scheduling.py). Each records a heartbeat every tick, which /health/ reads.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from apps.meter_service.doctype.outbox.services import outbox_sweep
from apps.meter_service.scheduling import (
    SchedulerLease,
    due_jobs,
    enqueue_due,
    scheduler_beat,
    scheduler_beats_key,
    scheduler_connection,
)

logger = logging.getLogger("meter_service.scheduler")

# A scheduler process that has not ticked for a day is forgotten by the others' heartbeats.
FORGET_AFTER_SECONDS = 24 * 3600


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs of settings.METER_PERIODIC_JOBS on RQ and hand over again "
        "the outbox rows that are due, forever."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one tick and stop.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between ticks.")
        parser.add_argument(
            "--lease",
            type=float,
            default=None,
            help="Seconds another scheduler waits after this one stops renewing the lock "
            "(default: the site's SCHEDULER_LEASE_SECONDS).",
        )

    def handle(self, *args, once=False, tick=5.0, lease=None, **options):
        if not settings.REDIS_URL:
            # A non-zero exit: the process supervisor reports it instead of running without jobs.
            raise CommandError("No Redis configured (redis_url): periodic jobs need RQ.")
        lease_seconds = float(lease or settings.METER_SERVICE["SCHEDULER_LEASE_SECONDS"])
        if lease_seconds <= tick:
            raise CommandError(f"The lease ({lease_seconds} s) must be longer than a tick.")
        connection = scheduler_connection()
        lock = SchedulerLease(connection, seconds=lease_seconds)
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        logger.info(
            "scheduler started",
            extra={"jobs": [j.path for j in due_jobs()], "identity": lock.identity},
        )
        holding = False
        try:
            while not stop.is_set():
                try:
                    holding = self._tick(lock, connection, holding, once=once)
                except Exception:
                    # Redis restarting or unreachable: keep the process up and try next tick.
                    # The lease runs out meanwhile, so another scheduler may act instead.
                    if once:
                        raise
                    holding = False
                    logger.exception("enqueueing periodic jobs failed")
                if once:
                    return
                stop.wait(tick)
        finally:
            # A clean stop lets the lock go at once: a waiting scheduler takes over at its
            # next tick instead of after the lease.
            try:
                lock.release()
                connection.hdel(scheduler_beats_key(), lock.identity)
            except Exception:
                logger.warning("could not let the scheduler lock go", exc_info=True)
        logger.info("scheduler stopped", extra={"identity": lock.identity})

    def _tick(self, lock: SchedulerLease, connection, holding: bool, *, once: bool) -> bool:
        # This process lives for months: a database connection that an outage broke (MariaDB
        # restarted, or frozen past the read time-out) is given up here, as a request or a
        # job gives it up when it ends; kept, it would fail every sweep until a restart.
        _close_broken_connections()
        scheduler_beat(connection, lock.identity, forget_after=FORGET_AFTER_SECONDS)
        if not lock.hold():
            if holding:
                logger.warning("scheduler lock lost", extra={"identity": lock.identity})
            return False
        if not holding:
            logger.info("scheduler lock taken", extra={"identity": lock.identity})
        for path in enqueue_due(lock):
            logger.info("job enqueued", extra={"job": path, "identity": lock.identity})
        # Directly, not through RQ, and by the lock's holder only: what a Redis outage or a
        # dead worker left behind goes to the queue again as soon as Redis is back.
        try:
            outbox_sweep()
        except Exception:
            if once:
                raise
            logger.exception("sweeping the outbox failed")
        return True


def _close_broken_connections() -> None:
    """Django's close_old_connections(), but never of a connection inside a transaction
    (a test's around the command): closing that one would break the transaction."""
    for each in connections.all(initialized_only=True):
        if not each.in_atomic_block:
            each.close_if_unusable_or_obsolete()
