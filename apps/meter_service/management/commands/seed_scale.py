"""Seed a large, realistic data set for measuring the dashboards: seed_scale --claims N."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.dashboards import rollup
from apps.meter_service.demo.scale import seed_scale


class Command(BaseCommand):
    help = (
        "Create N claims (default 100,000) with their subscribers, meters, payments, service "
        "clocks, process steps, meter tests, bill corrections and complaints, spread over the "
        "last DAYS days. Deterministic for a seed and an end day. Meant for a fresh database "
        "with the fixtures loaded: refuses one seeded already."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1403)
        parser.add_argument("--days", type=int, default=730)
        parser.add_argument(
            "--until", type=datetime.date.fromisoformat, default=None, help="last day, ISO"
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        if options["claims"] < 1 or options["days"] < 1:
            raise CommandError("--claims and --days must be positive.")
        started = time.monotonic()
        try:
            report = seed_scale(
                claims=options["claims"],
                seed=options["seed"],
                days=options["days"],
                until=options["until"],
                batch_size=options["batch_size"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            f"seeded {report.claims:,} claims, {report.subscribers:,} subscribers and meters, "
            f"{report.payments:,} payments, {report.bill_charges:,} charges to the next bill, "
            f"{report.clocks:,} service clocks, {report.tasks:,} process steps, "
            f"{report.inspections:,} meter tests with {report.test_points:,} test points, "
            f"{report.corrections:,} bill corrections ({report.corrections_approved:,} approved), "
            f"{report.complaints:,} complaints in {seconds:.0f} s"
        )

        started = time.monotonic()
        days = rollup.rebuild()
        seconds = time.monotonic() - started
        self.stdout.write(f"dashboard roll-up: {days:,} days computed in {seconds:.0f} s")
