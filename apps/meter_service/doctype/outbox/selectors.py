"""Reads of the outbox: what is undelivered, what is stuck, and the backlog for /health/."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState
from apps.meter_service.doctype.rule_setting.selectors import rule_value


def stuck_since(now: datetime.datetime) -> datetime.datetime:
    """Rows waiting since before this are stuck (OUTBOX_STUCK_MINUTES)."""
    return now - datetime.timedelta(minutes=int(rule_value("OUTBOX_STUCK_MINUTES")))


def stuck_q(now: datetime.datetime) -> models.Q:
    """Waiting too long since queued, or running past the lease (its worker died)."""
    return models.Q(state=OutboxState.PENDING, created_at__lt=stuck_since(now)) | models.Q(
        state=OutboxState.RUNNING, lease_until__lt=now
    )


def outbox_undelivered(*, user: Actor) -> QuerySet[OutboxJob]:
    """Every message and job not delivered yet (waiting, running or failed), as the user may
    see them, with each one's SMS."""
    return permissions.scope(
        user, OutboxJob.objects.exclude(state=OutboxState.DONE).select_related("sms")
    )


def outbox_backlog(*, now: datetime.datetime | None = None) -> dict[str, object]:
    """Figures of the backlog: waiting and failed rows, stuck ones, the oldest wait."""
    now = now or timezone.now()
    oldest = (
        OutboxJob.objects.filter(state=OutboxState.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        "pending": OutboxJob.objects.filter(state=OutboxState.PENDING).count(),
        "failed": OutboxJob.objects.filter(state=OutboxState.FAILED).count(),
        "stuck": OutboxJob.objects.filter(stuck_q(now)).count(),
        "oldest_pending_seconds": None if oldest is None else int((now - oldest).total_seconds()),
    }
