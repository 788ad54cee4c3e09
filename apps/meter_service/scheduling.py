"""Periodic jobs: which job runs how often, and a Redis-held clock of when each last ran.

The last-run times live in Redis, so two scheduler processes (or a restart) do not enqueue
a job twice in one interval: a SET NX with the interval as its expiry claims each run.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PeriodicJob:
    path: str
    every_seconds: int
    queue: str = "default"


def due_jobs() -> list[PeriodicJob]:
    return [PeriodicJob(**job) for job in settings.METER_PERIODIC_JOBS]


def enqueue_due() -> list[str]:
    """Enqueue every periodic job whose interval has passed; return their paths."""
    import django_rq

    enqueued = []
    for job in due_jobs():
        queue = django_rq.get_queue(job.queue, commit_mode="auto")
        claim = f"meter:{settings.SITE_NAME}:periodic:{job.path}"
        if queue.connection.set(claim, "1", nx=True, ex=job.every_seconds):
            try:
                queue.enqueue(job.path)
            except Exception:
                queue.connection.delete(claim)  # not enqueued: let the next tick try again
                raise
            enqueued.append(job.path)
    return enqueued
