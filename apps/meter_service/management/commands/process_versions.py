"""List the versions of the service process with the claims running and completed on each."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.meter_service.engine.services import PROCESS_ID
from apps.meter_service.engine.versions import process_versions_with_counts


class Command(BaseCommand):
    help = (
        "List the versions of the meter test process: number (* = the active one, which new "
        "claims start on), running and completed claims, upload time and note."
    )

    def handle(self, *args, **options):
        rows = process_versions_with_counts().filter(process_id=PROCESS_ID).order_by("number")
        if not rows:
            self.stdout.write("No versions yet (the first claim filed makes version 1).")
            return
        self.stdout.write(
            f"{'version':>9}  {'running':>7}  {'completed':>9}  {'uploaded':16}  note"
        )
        for version in rows:
            marker = "*" if version.is_active else " "
            uploaded = timezone.localtime(version.created_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                f"{marker} {version.number:>7}  {version.running:>7}  {version.completed:>9}  "
                f"{uploaded:16}  {version.note}"
            )
        self.stdout.write("* active: new claims start on it; running claims keep their version.")
