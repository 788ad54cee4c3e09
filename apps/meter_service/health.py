"""Health check: database, Redis and the job queue, as JSON for load balancers and monitors."""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"status": "ok", **(check() or {})}
    except Exception as exc:  # any failure is a failed check, reported, not raised
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


@functools.lru_cache(maxsize=4)
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def check_redis() -> dict:
    _redis_client(settings.REDIS_URL).ping()
    return {}


def check_queue() -> dict:
    """Jobs waiting per queue, workers listening on "default", and the last heartbeat job.

    No worker is a warning, not an error: the web keeps serving while jobs wait.
    """
    import django_rq
    from django.core.cache import cache
    from rq import Worker

    from apps.meter_service.jobs import HEARTBEAT_KEY

    queues = {name: django_rq.get_queue(name) for name in settings.RQ_QUEUES}
    workers = Worker.count(queue=queues["default"])
    last_heartbeat = cache.get(HEARTBEAT_KEY)
    result = {
        "queued": {name: queue.count for name, queue in queues.items()},
        "workers": workers,
        "last_heartbeat": last_heartbeat,
    }
    # A worker killed with SIGKILL stays registered for minutes: the heartbeat job, which
    # the scheduler enqueues every minute and a worker runs, tells whether jobs really run.
    age = _heartbeat_age(last_heartbeat)
    if not workers:
        result["status"] = "warning"
        result["warning"] = "no worker listens on the default queue"
    elif age is None or age > HEARTBEAT_STALE_SECONDS:
        result["status"] = "warning"
        result["heartbeat_age_seconds"] = None if age is None else int(age)
        result["warning"] = "no job has run lately: is the worker or the scheduler down?"
    return result


HEARTBEAT_STALE_SECONDS = 180


def _heartbeat_age(stamp) -> float | None:
    import datetime

    from django.utils import timezone

    try:
        at = datetime.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return (timezone.now() - at).total_seconds()


def check_files() -> dict:
    """The object store answers and the site's bucket is there (the keys are accepted)."""
    from django.core.files.storage import default_storage

    bucket = default_storage.bucket_name
    default_storage.connection.meta.client.head_bucket(Bucket=bucket)
    return {"backend": "s3", "bucket": bucket}


def on_object_store() -> bool:
    from sites.siteconfig import S3_STORAGE

    return settings.STORAGES["default"]["BACKEND"] == S3_STORAGE


def check_sms() -> dict:
    """Whether the site names an SMS provider; without one, messages are held (a warning)."""
    from apps.meter_service.doctype.notification.services import sms_held_count
    from apps.meter_service.integrations.sms.adapter import sms_configured

    if sms_configured():
        return {"configured": True}
    return {
        "status": "warning",
        "configured": False,
        "warning": "no SMS provider is configured; messages are held until one is",
        "held": sms_held_count(),
    }


def check_gateway() -> dict:
    """Whether the site names a payment gateway; without one, online payment is refused."""
    from apps.meter_service.integrations.gateway.adapter import gateway_configured

    if gateway_configured():
        return {"configured": True}
    return {
        "status": "warning",
        "configured": False,
        "warning": "no payment gateway is configured; online payment is refused",
    }


@never_cache
@require_GET
def health_view(request):
    """Report each dependency; 503 when any configured one fails.

    {"status": "ok"|"error", "site": NAME, "checks": {"database": {...}, "redis": {...},
    "queue": {...}, "files": {...} (on an object store only), "sms": {...}, "gateway": {...}}};
    each check has a "status" ("ok", "warning", "error", or "not_configured" / "in_process" on
    a site without Redis) and, when run, its duration in "ms". A site without an SMS provider
    or a payment gateway is a warning, not a failure: the site serves, and staff are told on
    the desk.
    """
    checks = {"database": _timed(check_database)}
    if settings.REDIS_URL:
        checks["redis"] = _timed(check_redis)
        checks["queue"] = _timed(check_queue)
    else:
        checks["redis"] = {"status": "not_configured"}
        checks["queue"] = {"status": "in_process"}
    if on_object_store():  # a local site's files folder is checked with the database
        checks["files"] = _timed(check_files)
    checks["sms"] = _timed(check_sms)
    checks["gateway"] = _timed(check_gateway)
    healthy = all(c["status"] != "error" for c in checks.values())
    body = {"status": "ok" if healthy else "error"}
    if may_see_details(request):
        body.update({"site": settings.SITE_NAME, "checks": checks})
    return JsonResponse(body, status=200 if healthy else 503)


LOOPBACK = {"127.0.0.1", "::1"}
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def may_see_details(request) -> bool:
    """The checks' details (versions of nothing, but queue sizes, errors, the site's name)
    go to a probe on the machine itself or one that shows the site's health token; anyone
    else, through the proxy too, reads only the status and its HTTP code."""
    token = getattr(settings, "METER_HEALTH_TOKEN", "")
    given = request.headers.get("X-Health-Token") or request.GET.get("token", "")
    if token and given and constant_time_compare(token, given):
        return True
    direct = not any(request.META.get(header) for header in FORWARDED_HEADERS)
    return direct and request.META.get("REMOTE_ADDR") in LOOPBACK
