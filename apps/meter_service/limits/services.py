"""Counting attempts in fixed windows, in the database.

The limits against guessing (wrong passwords, status look-ups) used to count in the cache: with
Redis down or restarted they counted from zero and locked nobody out, so an outage lifted them.
A row a key: one conditional UPDATE per attempt, an INSERT to open a window; the hourly purge
(housekeeping.records_purge) deletes the windows that ended.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.meter_service.limits.models import RateCount


def rate_count_hit(*, key: str, window_seconds: int) -> int:
    """Count one attempt under key in its current window (opened now if none is open);
    return the window's count, this attempt included."""
    now = timezone.now()
    for _attempt in range(3):  # another request may open the window between our two steps
        if RateCount.objects.filter(key=key, expires_at__gt=now).update(count=F("count") + 1):
            break
        try:
            with transaction.atomic():
                RateCount.objects.filter(key=key, expires_at__lte=now).delete()
                RateCount.objects.create(
                    key=key,
                    count=1,
                    expires_at=now + datetime.timedelta(seconds=window_seconds),
                )
            return 1
        except IntegrityError:
            continue
    row = RateCount.objects.filter(key=key).values_list("count", flat=True).first()
    return row or 1


def rate_counts(*, keys: Iterable[str]) -> dict[str, int]:
    """The counts of the keys' open windows (a key without one is left out)."""
    rows = RateCount.objects.filter(key__in=list(keys), expires_at__gt=timezone.now())
    return dict(rows.values_list("key", "count"))


def rate_count_clear(*, key: str) -> None:
    RateCount.objects.filter(key=key).delete()


def rate_counts_purge(*, before: datetime.datetime | None = None) -> int:
    """Delete the windows that ended; return how many."""
    deleted, _per_model = RateCount.objects.filter(
        expires_at__lte=before or timezone.now()
    ).delete()
    return deleted
