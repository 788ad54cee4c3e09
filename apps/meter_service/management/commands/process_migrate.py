"""Move running claims to another version of the service process."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from apps.meter_service.core import tracking
from apps.meter_service.engine import services
from apps.meter_service.engine.models import (
    InstanceStatus,
    ProcessInstance,
    ProcessVersion,
)


class _DryRun(Exception):
    """Raised inside the migration's transaction to roll a dry run back."""


class Command(BaseCommand):
    help = (
        "Move running claims to version N of the meter test process (all running claims on "
        "other versions, or those on --from M, or one --claim). Each claim is moved or refused "
        "on its own; a claim whose completed steps are missing in version N is refused and "
        "stays where it is. --dry-run checks every claim and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", type=int, required=True, metavar="N", help="Target version.")
        parser.add_argument(
            "--from", dest="from_number", type=int, metavar="M", help="Only claims on version M."
        )
        parser.add_argument(
            "--claim", metavar="TRACKING_CODE", help="Only the claim with this tracking code."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check each claim, change nothing."
        )

    def handle(self, *args, to, from_number=None, claim=None, dry_run=False, **options):
        # Service messages (the reasons for a refusal) in English, as the rest of the output.
        with translation.override("en"):
            self._handle(to, from_number, claim, dry_run)

    def _handle(self, to: int, from_number: int | None, code: str | None, dry_run: bool) -> None:
        try:
            target = ProcessVersion.objects.get(process_id=services.PROCESS_ID, number=to)
        except ProcessVersion.DoesNotExist as exc:
            raise CommandError(f"There is no version {to}.") from exc
        instances = (
            ProcessInstance.objects.filter(
                version__process_id=services.PROCESS_ID, status=InstanceStatus.RUNNING
            )
            .exclude(version=target)
            .select_related("version", "claim")
            .order_by("claim__tracking_code")
        )
        if from_number is not None:
            if not ProcessVersion.objects.filter(
                process_id=services.PROCESS_ID, number=from_number
            ).exists():
                raise CommandError(f"There is no version {from_number}.")
            instances = instances.filter(version__number=from_number)
        if code:
            code = tracking.normalize(code)
            if not ProcessInstance.objects.filter(claim__tracking_code=code).exists():
                raise CommandError(f"No claim {code} has a process.")
            instances = instances.filter(claim__tracking_code=code)
            if not instances.exists():
                raise CommandError(f"Claim {code} is not running on another version than {to}.")

        moved = refused = 0
        prefix = "would move" if dry_run else "moved"
        for instance in instances:
            label = f"{instance.claim.tracking_code} (version {instance.version.number} -> {to})"
            try:
                self._migrate(instance, target, dry_run)
            except ValidationError as error:
                refused += 1
                self.stdout.write(f"refused  {label}: {' '.join(error.messages)}")
            else:
                moved += 1
                self.stdout.write(f"{prefix:8} {label}")
        summary = f"{moved} {prefix}, {refused} refused"
        if dry_run:
            summary += " (dry run: nothing was changed)"
        self.stdout.write(summary + ".")

    def _migrate(self, instance: ProcessInstance, target: ProcessVersion, dry_run: bool) -> None:
        """Move one claim in its own transaction; a dry run does the same and rolls back."""
        try:
            with transaction.atomic():
                services.process_instance_migrate(instance=instance, to_version=target)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
