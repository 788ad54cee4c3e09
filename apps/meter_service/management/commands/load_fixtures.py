"""Load the numbered fixture files (roles, reference data) in order; safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from apps.meter_service.engine.services import process_version_active

# Rows staff edit after the first load (message texts): a service creates the missing ones
# and never overwrites, where loaddata would put the shipped text back on every run.
SEEDED_BY_SERVICE = {
    "0002_message_templates.json": (
        "apps.meter_service.doctype.notification.services.message_templates_ensure_defaults"
    ),
    # The shipped notification rules: staff switch them off or on, which a reload keeps.
    "0005_notification_rules.json": (
        "apps.meter_service.doctype.notification.services.notification_rules_ensure_defaults"
    ),
    # Holidays are kept in Jalali dates in a CSV; the service converts them.
    "0003_holidays_1405.csv": "apps.meter_service.doctype.sla.services.holidays_load",
    # Complaint topics are helpdesk queues; staff set their owners in the desk.
    "0004_complaint_queues.json": (
        "apps.meter_service.doctype.complaint.services.complaint_queues_ensure_defaults"
    ),
    # Canned answers to complaints: staff reword them or switch them off.
    "0006_canned_responses.json": (
        "apps.meter_service.doctype.complaint.services.canned_responses_ensure_defaults"
    ),
}


def fixture_files() -> list[Path]:
    """Return fixtures/NNNN_*.json (and the CSVs a service loads) in number order.

    Demo data is kept apart.
    """
    folder = Path(settings.FIXTURE_DIRS[0])
    files = folder.glob("[0-9][0-9][0-9][0-9]_*.*")
    return sorted(p for p in files if p.suffix == ".json" or p.name in SEEDED_BY_SERVICE)


class Command(BaseCommand):
    help = "Load the numbered fixtures: roles and reference data."

    def handle(self, *args, **options):
        for path in fixture_files():
            if path.name in SEEDED_BY_SERVICE:
                import_string(SEEDED_BY_SERVICE[path.name])(path=path)
            else:
                call_command("loaddata", str(path), verbosity=0)
            self.stdout.write(f"loaded {path.name}")
        # The process as the repository ships it becomes version 1 of a new site.

        version = process_version_active()
        self.stdout.write(f"process {version} is active")
