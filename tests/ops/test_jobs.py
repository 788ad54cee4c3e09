"""Background jobs: outbox rows run inline after commit, in a thread, and on RQ through a real
worker."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import transaction

from apps.meter_service import jobs
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState

calls: list[tuple] = []
DONE = threading.Event()


def record(value, *, label="") -> str:
    """A job: remember the call and the thread it ran in."""
    calls.append((value, label, threading.current_thread().name))
    DONE.set()
    return f"recorded {value}"


def explode() -> None:
    raise RuntimeError("job exploded")


@pytest.fixture(autouse=True)
def _fresh_calls():
    calls.clear()
    DONE.clear()
    yield
    calls.clear()


@pytest.mark.django_db
def test_jobs_mode_follows_the_settings(settings):
    settings.METER_JOBS_MODE = ""
    settings.METER_JOBS_ASYNC = True
    assert jobs.jobs_mode() == "rq"
    settings.METER_JOBS_ASYNC = False
    assert jobs.jobs_mode() == "thread"
    settings.METER_JOBS_MODE = "inline"
    assert jobs.jobs_mode() == "inline"


@pytest.mark.django_db
def test_inline_job_runs_when_the_transaction_commits(settings, django_capture_on_commit_callbacks):
    settings.METER_JOBS_MODE = "inline"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            jobs.enqueue(record, 1, label="inline")
        assert calls == []  # nothing runs before the commit

    for callback in callbacks:
        callback()
    assert calls == [(1, "inline", threading.current_thread().name)]


@pytest.mark.django_db
def test_inline_job_does_not_run_when_the_transaction_rolls_back(settings):
    settings.METER_JOBS_MODE = "inline"

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        jobs.enqueue(record, 2)
        1 / 0  # noqa: B018

    assert calls == []


@pytest.mark.django_db
def test_jobs_can_be_named_by_path(settings, django_capture_on_commit_callbacks):
    settings.METER_JOBS_MODE = "inline"

    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("tests.ops.test_jobs.record", 3)

    assert [call[0] for call in calls] == [3]


# The thread reads the outbox row on its own connection: the row must be committed.
@pytest.mark.django_db(transaction=True)
def test_thread_job_runs_in_another_thread(settings):
    settings.METER_JOBS_MODE = "thread"

    row = jobs.enqueue(record, 4, label="thread")

    assert DONE.wait(10), "the job thread did not run"
    [(value, label, thread_name)] = calls
    assert (value, label) == (4, "thread")
    assert thread_name == f"outbox:{row.pk}"
    assert thread_name != threading.current_thread().name
    _join(thread_name)
    row.refresh_from_db()
    assert row.state == OutboxState.DONE


def _join(name: str) -> None:
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_a_failing_thread_job_is_logged_and_kept_for_its_retry(settings, caplog):
    settings.METER_JOBS_MODE = "thread"

    row = jobs.enqueue(explode)
    _join(f"outbox:{row.pk}")

    [failure] = [r for r in caplog.records if r.name == "meter_service.outbox"]
    assert failure.getMessage() == "outbox job failed; retried later"
    assert failure.job == "tests.ops.test_jobs.explode"
    row.refresh_from_db()
    assert row.state == OutboxState.PENDING and row.last_error == "job exploded"


def test_heartbeat_writes_the_cache_key():
    stamp = jobs.heartbeat()
    try:
        assert cache.get(jobs.HEARTBEAT_KEY) == stamp
    finally:
        cache.delete(jobs.HEARTBEAT_KEY)


@pytest.mark.django_db
def test_rq_job_is_run_by_a_real_worker(settings, rq_queue, django_capture_on_commit_callbacks):
    from rq import SimpleWorker

    settings.METER_JOBS_MODE = "rq"

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            jobs.enqueue(record, 5, label="rq", queue=rq_queue.name)
        assert calls == []
    assert rq_queue.count == 1
    [job] = rq_queue.get_jobs()
    assert job.func_name == "apps.meter_service.jobs.outbox_run"
    [row] = OutboxJob.objects.all()
    assert job.args == (row.pk,) and row.path == "tests.ops.test_jobs.record"

    worked = SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)

    assert worked
    assert [(v, label) for v, label, _ in calls] == [(5, "rq")]
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == OutboxState.DONE
    assert rq_queue.count == 0
    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == 1


@pytest.mark.django_db
def test_rq_job_that_fails_is_the_outboxs_to_retry(
    settings, rq_queue, django_capture_on_commit_callbacks
):
    from rq import SimpleWorker

    settings.METER_JOBS_MODE = "rq"
    with django_capture_on_commit_callbacks(execute=True):
        row = jobs.enqueue(explode, queue=rq_queue.name)
    [job] = rq_queue.get_jobs()

    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)

    job.refresh()
    assert job.get_status() == "finished"  # RQ's part is done; the retry is the outbox's
    row.refresh_from_db()
    assert row.state == OutboxState.PENDING
    assert row.last_error == "job exploded"
    # The first retry waits OUTBOX_RETRY_FIRST_SECONDS from the failure, the next twice that.
    assert 30 <= (row.due_at - row.started_at).total_seconds() < 60


def test_every_job_a_service_names_is_a_job_function():
    """Services name jobs ("claim_notify") instead of importing the jobs module (a door); each
    name must be a function there, or the change that queues it would fail."""
    import ast
    from pathlib import Path

    from django.conf import settings

    named = {}
    for path in (Path(settings.BASE_DIR) / "apps" / "meter_service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "enqueue"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                named[node.args[0].value] = path.name
    assert {"claim_notify", "send_email", "sms_deliver", "import_batch_apply"} <= set(named)
    for name in named:
        assert callable(getattr(jobs, name, None)), f"{named[name]} queues unknown job {name}"


@pytest.mark.django_db
def test_an_unknown_job_name_fails_in_the_callers_transaction():
    with pytest.raises(ImportError), transaction.atomic():
        jobs.enqueue("no_such_job", 1)
    assert not OutboxJob.objects.exists()
