"""The scheduler process: enqueue periodic jobs on RQ at their intervals (Procfile role)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.meter_service.scheduling import due_jobs, enqueue_due

logger = logging.getLogger("meter_service.scheduler")


class Command(BaseCommand):
    help = "Enqueue the periodic jobs of settings.METER_PERIODIC_JOBS on RQ, forever."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one tick and stop.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between ticks.")

    def handle(self, *args, once=False, tick=5.0, **options):
        if not settings.REDIS_URL:
            self.stderr.write("No Redis configured: periodic jobs need the RQ queue.")
            return
        logger.info("scheduler started", extra={"jobs": [j.path for j in due_jobs()]})
        while True:
            for path in enqueue_due():
                logger.info("job enqueued", extra={"job": path})
            if once:
                return
            time.sleep(tick)
