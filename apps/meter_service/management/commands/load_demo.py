"""Load demo data: offices, subscribers, meters and one user per role."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.dashboards import rollup
from apps.meter_service.demo import data as demo


class Command(BaseCommand):
    help = "Create the demo offices, subscribers, meters and users that are missing."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=None, help="Password for the demo users.")

    def handle(self, *args, password=None, **options):

        password = password or settings.DEMO_PASSWORD
        if not password:
            raise CommandError("Give --password or set demo_password in the site config.")
        counts = demo.load_demo(password=password)

        counts["history claims added"] = demo.load_demo_history()
        # The days whose claims changed (and today); all of them the first time.
        counts["dashboard days"] = rollup.refresh()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
