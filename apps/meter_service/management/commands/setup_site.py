"""Bring the active site's database up to date: migrate, fixtures, and optionally demo data."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the active site, load the fixtures and (with --demo) the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Also load demo data.")
        parser.add_argument("--password", default=None, help="Password for the demo users.")

    def handle(self, *args, demo=False, password=None, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_fixtures", stdout=self.stdout)
        if demo:
            call_command("load_demo", password=password, stdout=self.stdout)
