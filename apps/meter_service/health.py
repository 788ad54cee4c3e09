"""Health check: database, Redis, the job queue, the worker, the scheduler and the providers,
as JSON for load balancers and monitors.

Each check runs in a thread of its own and is given HEALTH_CHECK_TIMEOUT_SECONDS: one that
hangs (a frozen Redis, a database that accepts connections and never answers) is reported
as "timeout" and the answer goes out anyway, within about that bound.
"""

from __future__ import annotations

import datetime
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.meter_service.backends.redis_cache import sentinel_master
from apps.meter_service.doctype.notification.services import sms_held_count
from apps.meter_service.doctype.outbox.selectors import outbox_backlog
from apps.meter_service.integrations.gateway.adapter import gateway_configured
from apps.meter_service.integrations.sms.adapter import sms_configured
from apps.meter_service.jobs import HEARTBEAT_KEY
from apps.meter_service.scheduling import scheduler_beats, scheduler_lock_holder

# A check's status: "ok", "warning" (the site serves, staff are told: no SMS provider),
# "degraded" (the site serves but jobs do not run: no live worker or scheduler), "error" or
# "timeout" (a dependency the site needs failed: 503); "not_configured" / "in_process" on a
# site without Redis.
FAILED = {"error", "timeout"}


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"status": "ok", **(check() or {})}
    except Exception as exc:  # any failure is a failed check, reported, not raised
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


# Per process: the thread of each check's last run. A check still hanging from an earlier
# probe is not started again beside it, so a dependency that hangs for long costs at most
# one thread (and one connection) per check, however often the probes come.
_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()


def _run_one(check: Callable[[], dict | None], box: dict) -> None:
    try:
        box["result"] = _timed(check)
    finally:
        connections.close_all()  # this thread's own database connections


def run_checks(checks: dict[str, Callable[[], dict | None]], limit: float) -> dict[str, dict]:
    """Run the checks side by side, each in its own thread; one not done within `limit`
    seconds is reported as timed out (its thread ends by itself, on its client's timeout)."""
    started = time.perf_counter()
    results: dict[str, dict] = {}
    boxes: dict[str, tuple[threading.Thread, dict]] = {}
    for name, check in checks.items():
        with _running_lock:
            previous = _running.get(name)
            if previous is not None and previous.is_alive():
                results[name] = {
                    "status": "timeout",
                    "error": "the previous run of this check has not ended yet",
                }
                continue
            box: dict = {}
            thread = threading.Thread(
                target=_run_one, args=(check, box), name=f"health:{name}", daemon=True
            )
            _running[name] = thread
        thread.start()
        boxes[name] = (thread, box)
    for name, (thread, box) in boxes.items():
        thread.join(max(0.0, started + limit - time.perf_counter()))
        if "result" in box:
            results[name] = box["result"]
        else:
            results[name] = {
                "status": "timeout",
                "error": f"no answer within {limit:g} s",
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
    return {name: results[name] for name in checks}


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


@functools.lru_cache(maxsize=4)
def _redis_client(url: str, connect_timeout: float, timeout: float):
    import redis

    timeouts = {"socket_connect_timeout": connect_timeout, "socket_timeout": timeout}
    if settings.REDIS_SENTINELS:
        return sentinel_master(
            url, settings.REDIS_SENTINELS, settings.REDIS_SENTINEL_MASTER, **timeouts
        )
    return redis.Redis.from_url(url, **timeouts)


def redis_client():
    """A client of the site's Redis with the site's Redis time limits (one per process)."""
    rules = settings.METER_SERVICE
    return _redis_client(
        settings.REDIS_URL,
        float(rules["REDIS_CONNECT_TIMEOUT_SECONDS"]),
        float(rules["REDIS_TIMEOUT_SECONDS"]),
    )


def check_redis() -> dict:
    redis_client().ping()
    return {}


def check_queue() -> dict:
    """Jobs waiting per queue."""
    from rq import Queue

    client = redis_client()
    return {"queued": {name: Queue(name, connection=client).count for name in settings.RQ_QUEUES}}


# A worker that runs jobs runs the heartbeat job the scheduler enqueues every minute.
HEARTBEAT_STALE_SECONDS = 180


def check_worker() -> dict:
    """Job workers alive: those listening on "default" whose own heartbeat is recent.

    A worker killed with SIGKILL stays registered for minutes (until its key expires): only
    its heartbeat, which RQ renews every 45 s while idle (the Procfile's --worker-ttl 60) and
    every 30 s during a job, tells it is gone. A worker alive that has not run the heartbeat
    job for minutes while the scheduler enqueues it is stuck, or busy with a long job.
    """
    from django.core.cache import cache
    from rq import Queue
    from rq.utils import utcparse
    from rq.worker_registration import get_keys

    bound = float(settings.METER_SERVICE["HEALTH_WORKER_STALE_SECONDS"])
    client = redis_client()
    now = datetime.datetime.now(datetime.UTC)
    # The workers' hashes are read directly: making rq.Worker objects on this client would
    # raise its answer timeout to the worker's blocking wait (minutes), for every check.
    keys = sorted(get_keys(Queue("default", connection=client)))
    pipeline = client.pipeline(transaction=False)
    for key in keys:
        pipeline.hget(key, "last_heartbeat")
    ages = [
        (now - utcparse(stamp.decode())).total_seconds()
        for stamp in (pipeline.execute() if keys else [])
        if stamp
    ]
    alive = [age for age in ages if age <= bound]
    last_job = cache.get(HEARTBEAT_KEY)
    result: dict = {
        "alive": len(alive),
        "registered": len(ages),
        "last_heartbeat_age_seconds": round(min(ages), 1) if ages else None,
        "last_heartbeat_job": last_job,
    }
    if not alive:
        result["status"] = "degraded"
        result["warning"] = f"no job worker has sent a heartbeat within {bound:g} s"
        return result
    job_age = _age(last_job, now)
    if (job_age is None or job_age > HEARTBEAT_STALE_SECONDS) and _scheduler_alive(client, now):
        result["status"] = "degraded"
        result["warning"] = "workers are alive but have run no job lately: stuck or busy?"
    return result


def check_scheduler() -> dict:
    """The scheduler holding the lock, alive: it ticked within HEALTH_SCHEDULER_STALE_SECONDS.

    Other scheduler processes (on other machines) wait to take over; they are counted."""

    bound = float(settings.METER_SERVICE["HEALTH_SCHEDULER_STALE_SECONDS"])
    client = redis_client()
    holder = scheduler_lock_holder(client)
    beats = scheduler_beats(client)
    alive = sorted(name for name, age in beats.items() if age is not None and age <= bound)
    result: dict = {"holder": holder, "alive": len(alive)}
    holder_age = beats.get(holder) if holder is not None else None
    if holder_age is not None:
        result["last_tick_age_seconds"] = round(holder_age, 1)
    if holder is None or holder not in alive:
        result["status"] = "degraded"
        result["warning"] = (
            f"no scheduler has ticked within {bound:g} s"
            if not alive
            else "no scheduler holds the lock (one takes over at its next tick)"
        )
    return result


def _scheduler_alive(client, now: datetime.datetime) -> bool:

    bound = float(settings.METER_SERVICE["HEALTH_SCHEDULER_STALE_SECONDS"])
    return any(age is not None and age <= bound for age in scheduler_beats(client).values())


def _age(stamp, now: datetime.datetime) -> float | None:
    try:
        at = datetime.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return (now - at).total_seconds()


def check_files() -> dict:
    """The object store answers and the site's bucket is there (the keys are accepted)."""
    from django.core.files.storage import default_storage

    storage: Any = default_storage  # an S3Storage here (files_backend s3): no types
    bucket = storage.bucket_name
    storage.connection.meta.client.head_bucket(Bucket=bucket)
    return {"backend": "s3", "bucket": bucket}


def on_object_store() -> bool:
    from sites.siteconfig import S3_STORAGE

    return settings.STORAGES["default"]["BACKEND"] == S3_STORAGE


def check_sms() -> dict:
    """Whether the site names an SMS provider; without one, messages are held (a warning)."""

    if sms_configured():
        return {"configured": True}
    return {
        "status": "warning",
        "configured": False,
        "warning": "no SMS provider is configured; messages are held until one is",
        "held": sms_held_count(),
    }


def check_outbox() -> dict:
    """The backlog of promised SMS, emails and jobs: a warning when any failed for good or
    waits longer than OUTBOX_STUCK_MINUTES (or ran past its lease), not a 503: the site
    serves, and the desk lists them for staff to send again."""

    result: dict = outbox_backlog()
    problems = []
    if result["failed"]:
        problems.append(f"{result['failed']} failed")
    if result["stuck"]:
        problems.append(f"{result['stuck']} stuck")
    if problems:
        result["status"] = "warning"
        result["warning"] = "undelivered messages or jobs: " + ", ".join(problems)
    return result


def check_gateway() -> dict:
    """Whether the site names a payment gateway; without one, online payment is refused."""

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
    """Report each dependency: 503 when one the site needs fails or times out.

    {"status": "ok"|"degraded"|"error", "site": NAME, "checks": {"database": {...},
    "redis": {...}, "queue": {...}, "worker": {...}, "scheduler": {...}, "outbox": {...},
    "files": {...} (on an object store only), "sms": {...}, "gateway": {...}}}; each check
    has a "status" (see FAILED above) and, when run, its duration in "ms". "degraded" (200):
    the site serves but no live worker or scheduler runs the jobs. A site without an SMS
    provider or a payment gateway is a warning, not a failure: the site serves, and staff are
    told on the desk; so are failed or stuck outbox rows (the desk lists them to send again).
    """
    checks: dict[str, Callable[[], dict | None]] = {"database": check_database}
    if settings.REDIS_URL:
        checks.update(
            redis=check_redis, queue=check_queue, worker=check_worker, scheduler=check_scheduler
        )
    if on_object_store():  # a local site's files folder is checked with the database
        checks["files"] = check_files
    checks.update(outbox=check_outbox, sms=check_sms, gateway=check_gateway)
    results = run_checks(checks, float(settings.METER_SERVICE["HEALTH_CHECK_TIMEOUT_SECONDS"]))
    if not settings.REDIS_URL:
        results.update(
            redis={"status": "not_configured"},
            queue={"status": "in_process"},
            worker={"status": "in_process"},
            scheduler={"status": "not_configured"},
        )
    statuses = {check["status"] for check in results.values()}
    if statuses & FAILED:
        status = "error"
    elif "degraded" in statuses:
        status = "degraded"
    else:
        status = "ok"
    body: dict[str, Any] = {"status": status}
    if may_see_details(request):
        body.update({"site": settings.SITE_NAME, "checks": results})
    return JsonResponse(body, status=503 if status == "error" else 200)


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
