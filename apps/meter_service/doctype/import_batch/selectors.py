"""Reads of import batches and of a running import's progress."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus

# Statuses in which a job is (or is about to be) working through the file.
RUNNING_STATUSES = frozenset(
    {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING}
)


def progress_key(batch_id: int) -> str:
    """Return the cache key under which the job reports how far it got."""
    return f"meter:import-progress:{batch_id}"


def import_batch_list(*, user: Actor) -> QuerySet[ImportBatch]:
    """Return the batches the user may see, with their uploaders."""
    return permissions.scope(user, ImportBatch.objects.select_related("created_by"))


def import_batch_progress(batch: ImportBatch) -> dict:
    """Return {status, processed, total, percent} of a batch, live while a job runs."""
    processed, total = batch.processed_rows, batch.total_rows
    if batch.status in RUNNING_STATUSES:
        # The row counts on the batch are written at the end; the job's running count is
        # in the cache, shared by web and worker processes.
        reported = cache.get(progress_key(batch.pk)) or {}
        processed = int(reported.get("processed", 0))
        total = int(reported.get("total") or total)
    percent = min(100, processed * 100 // total) if total else 0
    return {"status": batch.status, "processed": processed, "total": total, "percent": percent}
