"""The /health/ endpoint: JSON shape, Redis and queue checks, 503 when a check fails."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from apps.meter_service import health, jobs


def get_health(client):
    response = client.get("/health/")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


@pytest.mark.django_db
def test_health_reports_ok_with_its_checks(client):
    response, body = get_health(client)

    assert response.status_code == 200
    # With Redis, no worker or scheduler runs in this test: the jobs do not run.
    assert body["status"] == ("degraded" if settings.REDIS_URL else "ok")
    assert body["site"] == settings.SITE_NAME
    assert set(body["checks"]) == {
        "database",
        "redis",
        "queue",
        "outbox",
        "worker",
        "scheduler",
        "sms",
        "gateway",
    }
    database = body["checks"]["database"]
    assert database["status"] == "ok"
    assert database["vendor"] == connection.vendor
    assert isinstance(database["ms"], float)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_without_redis_says_jobs_run_in_process(client, settings):
    settings.REDIS_URL = ""

    _, body = get_health(client)

    assert body["checks"]["redis"] == {"status": "not_configured"}
    assert body["checks"]["queue"] == {"status": "in_process"}


def test_health_is_503_when_the_database_check_fails(client, monkeypatch):
    def broken():
        raise RuntimeError("database is down")

    monkeypatch.setattr(health, "check_database", broken)

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["checks"]["database"]["status"] == "error"
    assert body["checks"]["database"]["error"] == "RuntimeError: database is down"


def test_health_is_503_when_redis_fails(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(health, "check_database", lambda: {"vendor": "stub"})

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["checks"]["redis"]["status"] == "error"


def test_health_accepts_get_only(client):
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
def test_details_only_to_a_probe_on_the_machine_or_with_the_token(client, settings):
    """The checks (queue sizes, errors, the site's name) are not for the public."""
    settings.REDIS_URL = ""  # ok, not degraded, without a worker and a scheduler running
    outside = client.get("/health/", REMOTE_ADDR="203.0.113.5")
    assert outside.status_code == 200 and outside.json() == {"status": "ok"}
    # Through a proxy on the same machine every visitor arrives from 127.0.0.1.
    proxied = client.get("/health/", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert proxied.json() == {"status": "ok"}
    assert "checks" in client.get("/health/").json()  # a direct local probe

    settings.METER_HEALTH_TOKEN = "s3cret-health"
    with_token = client.get(
        "/health/", REMOTE_ADDR="203.0.113.5", HTTP_X_HEALTH_TOKEN="s3cret-health"
    )
    assert "checks" in with_token.json()
    wrong = client.get("/health/", REMOTE_ADDR="203.0.113.5", HTTP_X_HEALTH_TOKEN="guess")
    assert wrong.json() == {"status": "ok"}


# --- the worker and the scheduler: alive only with a recent heartbeat -----------------------


@pytest.fixture
def rq_worker(redis_url):
    """A worker registered on the default queue, as `rqworker` registers itself."""
    import django_rq
    from rq import Worker

    queue = django_rq.get_queue("default")
    worker = Worker([queue], connection=queue.connection)
    worker.register_birth()
    yield worker
    worker.register_death()
    cache.delete(jobs.HEARTBEAT_KEY)


@pytest.fixture
def scheduler_beat(redis_url):
    """The scheduler holding the lock ticks (what `manage.py scheduler` writes each tick)."""
    from apps.meter_service import scheduling

    connection = scheduling.scheduler_connection()
    lease = scheduling.SchedulerLease(connection, seconds=30, identity="test-scheduler")
    assert lease.hold()
    scheduling.scheduler_beat(connection, lease.identity, forget_after=3600)
    yield lease
    lease.release()
    connection.hdel(scheduling.scheduler_beats_key(), lease.identity)


def _beat_at(key_time, worker) -> None:
    from rq.utils import utcformat

    worker.connection.hset(worker.key, "last_heartbeat", utcformat(key_time))


@pytest.mark.django_db
def test_health_is_ok_with_a_live_worker_and_scheduler(client, rq_worker, scheduler_beat):
    stamp = jobs.heartbeat()

    response, body = get_health(client)

    assert response.status_code == 200 and body["status"] == "ok", body
    worker, scheduler = body["checks"]["worker"], body["checks"]["scheduler"]
    assert worker["status"] == "ok" and worker["alive"] >= 1
    assert worker["last_heartbeat_job"] == stamp
    assert scheduler["status"] == "ok" and scheduler["holder"] == "test-scheduler"
    assert set(body["checks"]["queue"]["queued"]) == set(settings.RQ_QUEUES)


@pytest.mark.django_db
def test_a_worker_with_an_old_heartbeat_is_not_alive(client, rq_worker, scheduler_beat):
    """A worker killed with SIGKILL stays registered for minutes: /health/ said "workers 1"."""
    import datetime

    from django.utils import timezone

    jobs.heartbeat()
    _beat_at(timezone.now() - datetime.timedelta(seconds=600), rq_worker)

    response, body = get_health(client)

    assert response.status_code == 200 and body["status"] == "degraded"
    worker = body["checks"]["worker"]
    assert worker["status"] == "degraded" and worker["alive"] == 0
    assert worker["registered"] >= 1 and worker["last_heartbeat_age_seconds"] >= 590


@pytest.mark.django_db
def test_a_live_worker_that_runs_no_job_is_degraded(client, rq_worker, scheduler_beat):
    import datetime

    from django.utils import timezone

    stale = (timezone.now() - datetime.timedelta(minutes=10)).isoformat()
    cache.set(jobs.HEARTBEAT_KEY, stale, timeout=None)

    _, body = get_health(client)

    worker = body["checks"]["worker"]
    assert worker["status"] == "degraded" and worker["alive"] >= 1
    assert "run no job" in worker["warning"]


@pytest.mark.django_db
def test_no_scheduler_is_degraded_not_ok(client, rq_worker, redis_url):
    from apps.meter_service import scheduling

    connection = scheduling.scheduler_connection()
    connection.delete(scheduling.scheduler_lock_key(), scheduling.scheduler_beats_key())
    jobs.heartbeat()

    response, body = get_health(client)

    assert response.status_code == 200 and body["status"] == "degraded"
    scheduler = body["checks"]["scheduler"]
    assert scheduler == {**scheduler, "status": "degraded", "holder": None, "alive": 0}
    assert body["checks"]["worker"]["status"] == "ok"


@pytest.mark.django_db
def test_a_scheduler_that_stopped_ticking_is_degraded(client, rq_worker, scheduler_beat):
    import datetime

    from apps.meter_service import scheduling

    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=300)
    scheduling.scheduler_connection().hset(
        scheduling.scheduler_beats_key(), scheduler_beat.identity, old.isoformat()
    )
    jobs.heartbeat()

    _, body = get_health(client)

    scheduler = body["checks"]["scheduler"]
    assert scheduler["status"] == "degraded" and scheduler["holder"] == "test-scheduler"
    assert scheduler["last_tick_age_seconds"] >= 290 and scheduler["alive"] == 0
