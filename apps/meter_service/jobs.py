"""Background jobs: thin functions that take ids and call the service of the same name.

Services hand jobs to `enqueue()` after their transaction commits. With Redis configured the
job goes to an RQ queue for the worker; on the embedded site (no Redis) it runs in a thread of
the web process; tests may run it inline.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils.module_loading import import_string

from apps.meter_service.db_retry import run_with_retry

logger = logging.getLogger("meter_service.jobs")

# Cache key of the last heartbeat job a worker ran (read back by the health check).
HEARTBEAT_KEY = "meter:worker-heartbeat"


def jobs_mode() -> str:
    """Return "rq", "thread" or "inline": how enqueued jobs run on this site."""
    mode = getattr(settings, "METER_JOBS_MODE", "")
    if mode:
        return mode
    return "rq" if settings.METER_JOBS_ASYNC else "thread"


def _run_in_thread(path: str, args: tuple, kwargs: dict) -> None:
    def target() -> None:
        close_old_connections()
        try:
            run_with_retry(import_string(path), *args, **kwargs)
        except Exception:
            logger.exception("job failed", extra={"job": path})
        finally:
            close_old_connections()

    threading.Thread(target=target, name=f"job:{path}", daemon=True).start()


@functools.cache
def _rq_queue(name: str):
    """Return the RQ queue, made once per process so its Redis connection pool is reused."""
    import django_rq

    # Already after the commit: "auto" enqueues now instead of waiting for another.
    return django_rq.get_queue(name, commit_mode="auto")


# While Sentinel promotes a replica (a few seconds: the master's silence it waits for, then
# the vote), Redis refuses connections or has no master; the work is committed already, so
# the enqueue is tried again for this long before the error goes out as before.
ENQUEUE_FAILOVER_SECONDS = 8.0


def _enqueue_through_failover(queue: str, path: str, args: tuple, kwargs: dict) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    deadline = time.monotonic() + ENQUEUE_FAILOVER_SECONDS
    while True:
        try:
            _rq_queue(queue).enqueue(path, *args, **kwargs)
            return
        except (RedisConnectionError, RedisTimeoutError):
            if time.monotonic() > deadline:
                raise
            logger.warning("redis unavailable: enqueue tried again", extra={"job": path})
            time.sleep(0.5)


def enqueue(func: Callable | str, *args, queue: str = "default", **kwargs) -> None:
    """Run a job function after the current transaction commits (at once outside one)."""
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"

    def send() -> None:
        mode = jobs_mode()
        if mode == "rq":
            _enqueue_through_failover(queue, path, args, kwargs)
        elif mode == "thread":
            _run_in_thread(path, args, kwargs)
        else:
            run_with_retry(import_string(path), *args, **kwargs)

    transaction.on_commit(send)


# --- job functions -------------------------------------------------------------------------


def import_batch_validate(batch_id: int) -> None:
    from apps.meter_service.doctype.import_batch import services

    services.import_batch_validate(batch_id=batch_id)


def import_batch_apply(batch_id: int) -> None:
    from apps.meter_service.doctype.import_batch import services

    services.import_batch_apply(batch_id=batch_id)


def heartbeat() -> str:
    """Record that the worker runs jobs; the health check reads it back."""
    from django.core.cache import cache
    from django.utils import timezone

    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp


def claim_notify(claim_id: int, event: str, *later_events: str, facts: dict | None = None) -> None:
    """Tell the subscriber about claim events (an SMS each, in order), outside the request
    that caused them. `facts`: what the process step knew (JSON), for every event given."""
    from apps.meter_service.doctype.notification import services

    for each in (event, *later_events):
        services.notify_claim(claim_id=claim_id, event=each, facts=facts)


def process_run_timers() -> list[int]:
    """Fire the process timers that are due (payment deadlines, SLA watch, access waits)."""
    from apps.meter_service.doctype.process import services

    return services.process_run_timers()


def sla_refresh_states() -> int:
    """Store each open claim's service-level state for the inbox and the dashboards."""
    from apps.meter_service.doctype.sla import services

    return services.sla_refresh_states()


def sms_deliver(message_id: int, body: str | None = None) -> None:
    """Hand one logged SMS to the provider; `body` only when the log masks the text."""
    from apps.meter_service.doctype.notification import services

    services.sms_deliver(message_id=message_id, body=body)


def sms_send_held() -> int:
    """Send the SMS held while the site named no provider, once it names one."""
    from apps.meter_service.doctype.notification import services

    return services.sms_release_held()


def sms_resend_stale() -> dict[str, int]:
    """Send again the SMS whose job was lost (a worker killed mid-send, an enqueue that failed
    after commit, retries spent in a provider outage)."""
    from apps.meter_service.doctype.notification import services

    return services.sms_resend_stale()


def payments_reconcile() -> dict[str, int]:
    """Settle online payments whose bank callback never arrived."""
    from apps.meter_service.doctype.payment import services

    return services.payments_reconcile()


def records_purge() -> dict[str, int]:
    """Delete what only grows: old sign-in codes, their audit entries, expired sessions."""
    from apps.meter_service import housekeeping

    return housekeeping.records_purge()


def complaints_run_timers() -> dict[str, int]:
    """Escalate complaints past their answer deadline; close answered ones left unanswered."""
    from apps.meter_service.doctype.complaint import services

    return {
        "escalated": services.complaints_escalate_overdue(),
        "closed": services.complaints_close_resolved(),
    }


def dashboard_refresh() -> dict[str, object]:
    """Bring the dashboards' daily roll-up up to date (building it the first time), then
    recompute the default view, so the manager's first page comes from the cache."""
    from apps.meter_service.dashboards import rollup
    from apps.meter_service.dashboards.forms import default_filter
    from apps.meter_service.dashboards.selectors import dashboard_cached

    days = rollup.refresh()
    _dashboard, as_of = dashboard_cached(default_filter(), refresh=True)
    return {"days": days, "as_of": as_of.isoformat()}
