"""Periodic jobs: the scheduler enqueues each job once per interval, across processes."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.management import CommandError, call_command

from apps.meter_service import scheduling

JOB = "apps.meter_service.jobs.heartbeat"


@pytest.fixture
def periodic(settings, rq_queue):
    """Point the scheduler at a queue of its own, under a site name of its own."""
    settings.SITE_NAME = f"ops-sched-{uuid.uuid4().hex[:8]}"
    settings.METER_PERIODIC_JOBS = [{"path": JOB, "every_seconds": 1, "queue": rq_queue.name}]
    yield rq_queue
    rq_queue.connection.delete(f"meter:{settings.SITE_NAME}:periodic:{JOB}")


def test_due_jobs_come_from_the_settings(settings):
    settings.METER_PERIODIC_JOBS = [{"path": JOB, "every_seconds": 60}]
    assert scheduling.due_jobs() == [scheduling.PeriodicJob(JOB, 60, "default")]


def test_enqueue_due_enqueues_once_per_interval(periodic):
    assert scheduling.enqueue_due() == [JOB]
    assert scheduling.enqueue_due() == []  # a second scheduler in the same interval
    assert periodic.count == 1

    time.sleep(1.2)  # the interval passes

    assert scheduling.enqueue_due() == [JOB]
    assert periodic.count == 2
    assert {job.func_name for job in periodic.get_jobs()} == {JOB}


def test_a_failed_enqueue_releases_the_claim(periodic, monkeypatch):
    from rq import Queue

    def refuse(self, *args, **kwargs):
        raise ConnectionError("redis went away")

    with monkeypatch.context() as patch:
        patch.setattr(Queue, "enqueue", refuse)
        with pytest.raises(ConnectionError):
            scheduling.enqueue_due()

    assert scheduling.enqueue_due() == [JOB]  # not skipped for the rest of the interval


@pytest.mark.django_db
def test_scheduler_command_runs_one_tick(periodic):
    call_command("scheduler", once=True)  # the periodic jobs, then the outbox's sweep
    assert periodic.count == 1


def test_scheduler_command_refuses_to_run_without_redis(settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="No Redis"):
        call_command("scheduler", once=True)
