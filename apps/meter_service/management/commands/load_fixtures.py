"""Load the numbered fixture files (roles, reference data) in order; safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def fixture_files() -> list[Path]:
    """Return fixtures/NNNN_*.json in number order (demo data is kept apart)."""
    folder = Path(settings.FIXTURE_DIRS[0])
    return sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.json"))


class Command(BaseCommand):
    help = "Load the numbered fixtures: roles and reference data."

    def handle(self, *args, **options):
        for path in fixture_files():
            call_command("loaddata", str(path), verbosity=0)
            self.stdout.write(f"loaded {path.name}")
