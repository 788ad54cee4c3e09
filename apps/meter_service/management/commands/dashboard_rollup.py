"""Build or refresh the dashboards' daily roll-up: dashboard_rollup [--rebuild]."""

import time

from django.core.management.base import BaseCommand

from apps.meter_service.dashboards import rollup


class Command(BaseCommand):
    help = (
        "Bring the dashboards' daily roll-up up to date: recompute the days marked stale and "
        "the days since the last refresh (the scheduler does this every few minutes), or, "
        "with --rebuild or the first time, every day from the first claim's."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every day")

    def handle(self, *args, rebuild=False, **options):

        started = time.monotonic()
        days = rollup.rebuild() if rebuild else rollup.refresh()
        seconds = time.monotonic() - started
        self.stdout.write(f"dashboard roll-up: {days:,} days computed in {seconds:.1f} s")
