"""Health check: database, Redis and the job queue, as JSON for load balancers and monitors."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
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


def check_redis() -> dict:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return {}


def check_queue() -> dict:
    import django_rq
    from rq import Worker

    queue = django_rq.get_queue("default")
    workers = Worker.all(connection=queue.connection)
    return {"queued": queue.count, "workers": len(workers)}


@never_cache
@require_GET
def health_view(request):
    """Report each dependency; 503 when any configured one fails."""
    checks = {"database": _timed(check_database)}
    if settings.REDIS_URL:
        checks["redis"] = _timed(check_redis)
        checks["queue"] = _timed(check_queue)
    else:
        checks["redis"] = {"status": "not_configured"}
        checks["queue"] = {"status": "in_process"}
    healthy = all(c["status"] != "error" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "site": settings.SITE_NAME, "checks": checks},
        status=200 if healthy else 503,
    )
