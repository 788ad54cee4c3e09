"""The scheduler process: enqueue periodic jobs on RQ at their intervals, and sweep the
outbox each tick (Procfile role)."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.doctype.outbox.services import outbox_sweep
from apps.meter_service.scheduling import due_jobs, enqueue_due

logger = logging.getLogger("meter_service.scheduler")


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs of settings.METER_PERIODIC_JOBS on RQ and hand over again "
        "the outbox rows that are due, forever."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one tick and stop.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between ticks.")

    def handle(self, *args, once=False, tick=5.0, **options):
        if not settings.REDIS_URL:
            # A non-zero exit, so honcho stops the site instead of running without jobs.
            raise CommandError("No Redis configured (redis_url): periodic jobs need RQ.")
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        logger.info("scheduler started", extra={"jobs": [j.path for j in due_jobs()]})
        while not stop.is_set():
            try:
                for path in enqueue_due():
                    logger.info("job enqueued", extra={"job": path})
            except Exception:
                # Redis restarting or unreachable: keep the process up and try next tick.
                if once:
                    raise
                logger.exception("enqueueing periodic jobs failed")
            # Directly, not through RQ: what a Redis outage or a dead worker left behind goes
            # to the queue again as soon as Redis is back.
            try:
                outbox_sweep()
            except Exception:
                if once:
                    raise
                logger.exception("sweeping the outbox failed")
            if once:
                return
            stop.wait(tick)
        logger.info("scheduler stopped")
