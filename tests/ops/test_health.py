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
    assert body["status"] == "ok"
    assert body["site"] == settings.SITE_NAME
    assert set(body["checks"]) == {"database", "redis", "queue", "outbox", "sms", "gateway"}
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
    monkeypatch.setattr(health, "check_queue", lambda: {"workers": 0})

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["checks"]["redis"]["status"] == "error"


def test_health_accepts_get_only(client):
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
def test_health_on_redis_reports_redis_and_the_queue(client, redis_url):
    import django_rq
    from rq import Worker

    queue = django_rq.get_queue("default")
    worker = Worker([queue], connection=queue.connection)
    worker.register_birth()
    stamp = jobs.heartbeat()
    try:
        response, body = get_health(client)
    finally:
        worker.register_death()
        cache.delete(jobs.HEARTBEAT_KEY)

    assert response.status_code == 200
    assert body["checks"]["redis"]["status"] == "ok"
    queue_check = body["checks"]["queue"]
    assert queue_check["status"] == "ok"
    assert queue_check["workers"] >= 1
    assert set(queue_check["queued"]) == set(settings.RQ_QUEUES)
    assert queue_check["last_heartbeat"] == stamp


@pytest.mark.django_db
def test_health_on_redis_warns_without_workers(client, redis_url, monkeypatch):
    from rq import Worker

    monkeypatch.setattr(Worker, "count", classmethod(lambda cls, **kwargs: 0))

    response, body = get_health(client)

    assert response.status_code == 200  # the web still serves; jobs wait
    assert body["checks"]["queue"]["status"] == "warning"
    assert body["checks"]["queue"]["workers"] == 0


@pytest.mark.django_db
def test_details_only_to_a_probe_on_the_machine_or_with_the_token(client, settings):
    """The checks (queue sizes, errors, the site's name) are not for the public."""
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


@pytest.mark.django_db
def test_health_on_redis_warns_when_a_registered_worker_runs_no_jobs(client, redis_url):
    """A worker killed with SIGKILL stayed registered: /health/ said "ok, workers 1"."""
    import datetime

    import django_rq
    from django.utils import timezone
    from rq import Worker

    queue = django_rq.get_queue("default")
    worker = Worker([queue], connection=queue.connection)
    worker.register_birth()
    stale = (timezone.now() - datetime.timedelta(minutes=10)).isoformat()
    cache.set(jobs.HEARTBEAT_KEY, stale, timeout=None)
    try:
        response, body = get_health(client)
    finally:
        worker.register_death()
        cache.delete(jobs.HEARTBEAT_KEY)

    assert response.status_code == 200
    queue_check = body["checks"]["queue"]
    assert queue_check["status"] == "warning" and queue_check["workers"] >= 1
    assert queue_check["heartbeat_age_seconds"] >= 590
