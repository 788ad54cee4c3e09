"""The outbox: write a side effect in the change's transaction, hand it to the worker after
the commit, run it once, retry it with backoff, and sweep up what was lost.

- `enqueue()` / `outbox_add()` write an OutboxJob row inside the caller's
  transaction: a rolled-back change leaves no row and so no effect. After the commit the row
  is dispatched: queued on RQ, or run in a thread (the embedded site) or inline (tests).
- `outbox_run()` claims the row with a conditional UPDATE (pending and due, or running past
  its lease) before running it; the claim's attempt number fences the writes that follow,
  so a worker that lost its lease cannot mark the row. A job function whose attribute
  `outbox_atomic` is true (its effects are all rows) runs in one transaction with the "done"
  mark: its database effects happen exactly once. Its attribute `outbox_lease_seconds` is its
  own lease (short jobs: a killed worker is noticed sooner than OUTBOX_LEASE_SECONDS).
- A failure is retried with exponential backoff (OUTBOX_RETRY_FIRST_SECONDS doubling up to
  OUTBOX_RETRY_MAX_SECONDS) until OUTBOX_RETRY_HOURS after the row was queued; then, or at
  once for an error marked not retryable, the row is failed with the reason.
- `outbox_sweep()` runs on each tick of the scheduler process (and of a thread on the
  embedded site): it dispatches again every row whose dispatch failed or vanished (Redis
  down at the commit), whose worker died (lease expired) or whose retry time has come.

Effects at other systems are checked at the receiver too: an SMS carries its local id,
which the provider de-duplicates, and its row's state is read before it is sent again.
"""

from __future__ import annotations

import atexit
import contextvars
import datetime
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.meter_service.core.db_retry import run_with_retry
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState
from apps.meter_service.doctype.rule_setting.selectors import rule_value

logger = logging.getLogger("meter_service.outbox")

# The job functions live in the jobs module (a door: it calls services). Services name a job
# by its function's name there (`enqueue("claim_notify", ...)`) rather than importing it,
# so the domain never imports the door; the name is resolved when the job is added.
JOBS_MODULE = "apps.meter_service.jobs"
RUN_PATH = f"{JOBS_MODULE}.outbox_run"

# A pending row handed to RQ this long ago and still not claimed is handed again (the
# enqueue was lost with Redis, say); a second copy on the queue finds it claimed and stops.
REDISPATCH_AFTER = datetime.timedelta(seconds=60)
SWEEP_BATCH = 500

# Extension points for the document types whose effects ride on outbox rows (an SMS of
# doctype/notification has its row): they register when the app is ready, so the outbox,
# below them in the layers, imports none of them.
# A requeue check returns why a row must not be queued again (a SKIP_ key), or None to go on
# (it may first put its own document back in line: a failed SMS becomes queued again).
RequeueCheck = Callable[[OutboxJob, Actor], "str | None"]
_requeue_checks: list[RequeueCheck] = []
# A give-up hook learns that a row failed for good, with the reason, in the same transaction.
GiveUpHook = Callable[[OutboxJob, str], None]
_give_up_hooks: list[GiveUpHook] = []


def on_requeue(check: RequeueCheck) -> None:
    if check not in _requeue_checks:
        _requeue_checks.append(check)


def on_give_up(hook: GiveUpHook) -> None:
    if hook not in _give_up_hooks:
        _give_up_hooks.append(hook)


_current: contextvars.ContextVar[OutboxJob | None] = contextvars.ContextVar(
    "outbox_job", default=None
)


class PermanentError(Exception):
    """A job's failure that no retry will cure: the row is failed at once with the reason."""

    retryable = False


def _rule(name: str) -> Any:
    return rule_value(name)


def backoff(attempt: int) -> datetime.timedelta:
    """The wait after failed try number `attempt` (1, 2, ...): doubling, capped."""
    first = float(_rule("OUTBOX_RETRY_FIRST_SECONDS"))
    cap = float(_rule("OUTBOX_RETRY_MAX_SECONDS"))
    return datetime.timedelta(seconds=max(0.0, min(first * 2 ** (attempt - 1), cap)))


def _budget(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(hours=float(_rule("OUTBOX_RETRY_HOURS")))


def _path_of(func: Callable[..., Any] | str) -> str:
    """A job's dotted path: a bare name is a function of the jobs module."""
    if isinstance(func, str):
        return func if "." in func else f"{JOBS_MODULE}.{func}"
    return f"{func.__module__}.{func.__qualname__}"


def _job_function(func: Callable[..., Any] | str) -> Callable[..., Any]:
    """The job function itself (an unknown name fails here, in the caller's transaction)."""
    return import_string(_path_of(func)) if isinstance(func, str) else func


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    key: str = "",
    lease_seconds: int | None = None,
    sms: models.Model | None = None,  # a notification SmsMessage (which imports the outbox)
    transient: dict[str, Any] | None = None,
    **kwargs: Any,
) -> OutboxJob:
    """Promise a job in the current transaction: it runs once, after the commit (at once
    outside a transaction). `func` is a job function or its name in the jobs module.
    Arguments are stored as JSON. `key` names the effect (queuing it again re-sends a done
    or failed one); `transient` values are passed to the first run only and never stored
    (see outbox_add)."""
    return outbox_add(
        func,
        args,
        kwargs,
        queue=queue,
        key=key,
        lease_seconds=lease_seconds,
        sms=sms,
        transient=transient,
    )


# --- adding -------------------------------------------------------------------------------


def outbox_add(
    func: Callable[..., Any] | str,
    args: Iterable[Any] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    queue: str = "default",
    key: str = "",
    lease_seconds: int | None = None,
    sms: models.Model | None = None,  # a notification SmsMessage (which imports the outbox)
    transient: dict[str, Any] | None = None,
) -> OutboxJob:
    """Write the job as a row in the current transaction; dispatch it once that commits.

    `key` names the effect: a row with that key still waiting or running is the same
    promise (nothing added); a done or failed one is queued again with a fresh budget (a
    re-send). Without a key each call is a new effect. `transient` values (an SMS's unmasked
    sign-in code) travel only with the first dispatch and never reach the database: a row
    run again without them must fail or do without.
    """
    now = timezone.now()
    job = _job_function(func)
    lease = int(
        lease_seconds or getattr(job, "outbox_lease_seconds", 0) or _rule("OUTBOX_LEASE_SECONDS")
    )
    # No savepoint: nothing here is caught and retried, and inside a caller's transaction
    # (a filing, a process step) a savepoint is two more round trips for nothing.
    with transaction.atomic(savepoint=False):
        row = None
        if key:
            row = OutboxJob.objects.select_for_update().filter(key=key).first()
        if row is None:
            row = OutboxJob.objects.create(
                key=key or f"job:{uuid.uuid4().hex}",
                path=_path_of(func),
                args=list(args),
                kwargs=dict(kwargs or {}),
                queue=queue,
                lease_seconds=lease,
                due_at=now,
                give_up_at=_budget(now),
                # Handed over by the commit hook below; cleared when that fails, so the
                # sweep knows at once (else it waits REDISPATCH_AFTER).
                dispatched_at=now,
                # Any model to the type checker: SmsMessage is not importable here.
                sms=sms,  # type: ignore[misc]
            )
        elif row.state in (OutboxState.DONE, OutboxState.FAILED):
            _reset(row, now)
        transaction.on_commit(
            functools.partial(_dispatch, row.pk, row.queue, row.lease_seconds, transient)
        )
    return row


def _reset(row: OutboxJob, now: datetime.datetime) -> None:
    row.state = OutboxState.PENDING
    row.attempts = 0
    row.due_at = now
    row.give_up_at = _budget(now)
    row.lease_until = None
    row.dispatched_at = now
    row.finished_at = None
    row.save(
        update_fields=[
            "state",
            "attempts",
            "due_at",
            "give_up_at",
            "lease_until",
            "dispatched_at",
            "finished_at",
        ]
    )


# --- dispatching --------------------------------------------------------------------------


def jobs_mode() -> str:
    """Return "rq", "thread" or "inline": how enqueued jobs run on this site."""
    mode = getattr(settings, "METER_JOBS_MODE", "")
    if mode:
        return mode
    return "rq" if settings.METER_JOBS_ASYNC else "thread"


@functools.cache
def _rq_queue(name: str) -> Any:  # an rq Queue; django_rq is imported when first needed
    """The RQ queue, made once per process so its Redis connection pool is reused."""
    import django_rq

    # Already after the commit: "auto" enqueues now instead of waiting for another.
    return django_rq.get_queue(name, commit_mode="auto")


def _dispatch(
    job_id: int, queue: str, lease_seconds: int, transient: dict[str, Any] | None = None
) -> bool:
    """Hand a committed row to whatever runs jobs here; False when that failed (the row
    stays pending for the sweep)."""
    mode = jobs_mode()
    if mode == "rq":
        options = {"transient": transient} if transient else {}
        try:
            rq_queue = _rq_queue(queue)
            # One round trip: on its own RQ sends the queue's name and the job in two.
            with rq_queue.connection.pipeline() as pipe:
                rq_queue.enqueue_call(
                    RUN_PATH,
                    args=(job_id,),
                    kwargs=options,
                    timeout=lease_seconds,
                    # A job carrying a secret leaves Redis as soon as it has run.
                    result_ttl=0 if transient else None,
                    failure_ttl=0 if transient else None,
                    pipeline=pipe,
                )
                pipe.execute()
        except Exception:
            logger.warning(
                "outbox dispatch failed; the sweep hands it over again",
                exc_info=True,
                extra={"outbox": job_id},
            )
            OutboxJob.objects.filter(pk=job_id, state=OutboxState.PENDING).update(
                dispatched_at=None
            )
            return False
        return True
    if mode == "thread":
        _run_in_thread(job_id, transient)
    else:
        outbox_run(job_id, transient=transient)
    return True


_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()
THREADS_AT_EXIT_SECONDS = 30.0


def _run_in_thread(job_id: int, transient: dict[str, Any] | None) -> None:
    def target() -> None:
        close_old_connections()
        try:
            outbox_run(job_id, transient=transient)
        except Exception:
            logger.exception("outbox job failed", extra={"outbox": job_id})
        finally:
            close_old_connections()
            with _threads_lock:
                _threads.discard(threading.current_thread())

    thread = threading.Thread(target=target, name=f"outbox:{job_id}", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


@atexit.register
def _finish_threads() -> None:
    """A command that promised jobs (setup_site's demo data) lets their threads finish
    before it exits, for a while; what is cut off stays in the outbox for the sweep."""
    deadline = time.monotonic() + THREADS_AT_EXIT_SECONDS
    while True:
        with _threads_lock:
            running = [thread for thread in _threads if thread.is_alive()]
        if not running or time.monotonic() >= deadline:
            return
        running[0].join(max(0.0, deadline - time.monotonic()))


# --- running ------------------------------------------------------------------------------


def current_job() -> OutboxJob | None:
    """The row being run in this thread, if any."""
    return _current.get()


def _claim(job_id: int, now: datetime.datetime) -> OutboxJob | None:
    """Take the row for one run; None when it is not due, done, failed or held by a live
    lease. A compare-and-set on (state, attempts): of two workers, one wins."""
    row = OutboxJob.objects.filter(pk=job_id).first()
    if row is None:
        return None
    runnable = (row.state == OutboxState.PENDING and row.due_at <= now) or (
        row.state == OutboxState.RUNNING and row.lease_until is not None and row.lease_until < now
    )
    if not runnable:
        return None
    lease_until = now + datetime.timedelta(seconds=row.lease_seconds)
    taken = OutboxJob.objects.filter(pk=job_id, state=row.state, attempts=row.attempts).update(
        state=OutboxState.RUNNING,
        attempts=row.attempts + 1,
        lease_until=lease_until,
        started_at=now,
    )
    if not taken:
        return None
    row.state, row.attempts, row.lease_until, row.started_at = (
        OutboxState.RUNNING,
        row.attempts + 1,
        lease_until,
        now,
    )
    return row


def _mine(row: OutboxJob) -> models.QuerySet[OutboxJob]:
    """The row, while this run still holds it."""
    return OutboxJob.objects.filter(pk=row.pk, state=OutboxState.RUNNING, attempts=row.attempts)


def outbox_run(
    job_id: int,
    *,
    transient: dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> str:
    """Claim and run one row; return its state afterwards ("" when it was not claimed).

    `now` (tests, and the sweep's tick) is the moment of the claim, from which the lease
    and the next try are counted."""
    now = now or timezone.now()
    row = _claim(job_id, now)
    if row is None:
        return ""
    func = import_string(row.path)
    kwargs = {**row.kwargs, **(transient or {})}
    token = _current.set(row)

    def run() -> None:
        if getattr(func, "outbox_atomic", False):
            with transaction.atomic():
                func(*row.args, **kwargs)
                _done(row, now)
        else:
            func(*row.args, **kwargs)
            _done(row, now)

    try:
        # A Galera conflict is run again at once (db_retry), not left to the next try.
        run_with_retry(run)
    except Exception as exc:
        return _failed_try(row, exc, now)
    finally:
        _current.reset(token)
    return OutboxState.DONE


def _done(row: OutboxJob, now: datetime.datetime) -> None:
    finished = max(now, timezone.now())
    if not _mine(row).update(
        state=OutboxState.DONE, finished_at=finished, lease_until=None, last_error=""
    ):
        # Ran past its lease and another run took over: that one's outcome stands.
        logger.warning("outbox job finished after its lease", extra={"outbox": row.pk})


def _reason(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:2000]


def _failed_try(row: OutboxJob, exc: Exception, now: datetime.datetime) -> str:
    now = max(now, timezone.now())
    reason = _reason(exc)
    retry_at = now + backoff(row.attempts)
    if getattr(exc, "retryable", True) is False:
        state, reason = OutboxState.FAILED, reason
    elif retry_at > row.give_up_at:
        state = OutboxState.FAILED
        reason = f"retries spent after {row.attempts} tries: {reason}"[:2000]
    else:
        state = OutboxState.PENDING
    fields: dict[str, Any] = {"state": state, "last_error": reason, "lease_until": None}
    if state == OutboxState.PENDING:
        fields.update(due_at=retry_at, dispatched_at=None)
        logger.warning(
            "outbox job failed; retried later",
            extra={"outbox": row.pk, "job": row.path, "attempts": row.attempts},
        )
    else:
        fields["finished_at"] = now
        logger.error(
            "outbox job failed for good",
            exc_info=exc,
            extra={"outbox": row.pk, "job": row.path, "attempts": row.attempts},
        )
    with transaction.atomic():
        if _mine(row).update(**fields) and state == OutboxState.FAILED:
            for hook in _give_up_hooks:
                hook(row, reason)
    return state


# --- sweeping -----------------------------------------------------------------------------


def _sweepable(now: datetime.datetime) -> models.QuerySet[OutboxJob]:
    handed_long_ago = models.Q(dispatched_at__isnull=True) | models.Q(
        dispatched_at__lt=now - REDISPATCH_AFTER
    )
    due = models.Q(state=OutboxState.PENDING, due_at__lte=now)
    lease_expired = models.Q(state=OutboxState.RUNNING, lease_until__lt=now)
    return OutboxJob.objects.filter((due | lease_expired) & handed_long_ago)


def outbox_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Dispatch again the rows that are due and not in a worker's hands; return how many of
    each kind ("pending": never handed over or due for a retry, "expired": a worker died
    with it). Stops at the first dispatch that fails (Redis still down)."""
    now = now or timezone.now()
    counts = {"pending": 0, "expired": 0}
    rows = list(
        _sweepable(now)
        .order_by("due_at", "id")
        .values_list("pk", "state", "queue", "lease_seconds")[:SWEEP_BATCH]
    )
    mode = jobs_mode()
    for job_id, state, queue, lease_seconds in rows:
        kind = "expired" if state == OutboxState.RUNNING else "pending"
        if mode == "rq":
            # Marked first: a worker that claims it at once must not find it "not handed".
            OutboxJob.objects.filter(pk=job_id).update(dispatched_at=now)
            if not _dispatch(job_id, queue, lease_seconds):
                break
        elif not outbox_run(job_id, now=now):
            continue
        counts[kind] += 1
    if any(counts.values()):
        logger.warning("outbox rows handed over again", extra=counts)
    return counts


_sweeper_started = threading.Lock()
_sweeper: threading.Thread | None = None


def start_embedded_sweeper(every_seconds: float = 5.0) -> threading.Thread | None:
    """On a site without Redis (jobs in threads), sweep in a thread of the web process: it
    is that site's scheduler for the outbox (retries, rows left by a process that ended)."""
    global _sweeper
    with _sweeper_started:
        if _sweeper is not None:
            return _sweeper

        def loop() -> None:
            stop = threading.Event()
            while not stop.wait(every_seconds):
                close_old_connections()
                try:
                    outbox_sweep()
                except Exception:
                    logger.exception("outbox sweep failed")
                finally:
                    close_old_connections()

        _sweeper = threading.Thread(target=loop, name="outbox-sweeper", daemon=True)
        _sweeper.start()
        return _sweeper


# --- sending again from the desk ----------------------------------------------------------


@dataclass
class Requeued:
    """What a re-send did: how many went back on the queue, and why the others did not."""

    requeued: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())


# Why a row is not queued again (keys of Requeued.skipped; the desk words them).
SKIP_DONE = "done"
SKIP_RUNNING = "running"
SKIP_SMS_SENT = "sms_sent"
SKIP_MASKED = "masked"


def _requeue_refusal(row: OutboxJob, actor: Actor, now: datetime.datetime) -> str | None:
    # An SMS's row may be done while the SMS is not sent (held for want of a provider): the
    # SMS's state (its requeue check) says whether it was delivered.
    if row.state == OutboxState.DONE and row.sms_id is None:
        return SKIP_DONE
    if row.state == OutboxState.RUNNING and row.lease_until and row.lease_until >= now:
        return SKIP_RUNNING
    for check in _requeue_checks:
        reason = check(row, actor)
        if reason:
            return reason
    return None


def outbox_requeue(*, job_ids: Iterable[int], actor: Actor = None) -> Requeued:
    """Queue again the rows that can be: failed ones with a fresh retry budget, waiting
    ones at once, running ones past their lease; say why each other one was left."""
    result = Requeued()
    now = timezone.now()
    for job_id in job_ids:
        with transaction.atomic():
            row = OutboxJob.objects.select_for_update().get(pk=job_id)
            reason = _requeue_refusal(row, actor, now)
            if reason:
                result.skip(reason)
                continue
            _reset(row, now)
            transaction.on_commit(
                functools.partial(_dispatch, row.pk, row.queue, row.lease_seconds)
            )
        result.requeued += 1
    if result.requeued or result.skipped:
        logger.info(
            "outbox re-send",
            extra={"requeued": result.requeued, "skipped": result.skipped},
        )
    return result


# --- purging ------------------------------------------------------------------------------


def outbox_jobs_purge(*, before: datetime.datetime) -> int:
    """Delete the jobs that ran to the end before `before`: their effect is on record where it
    happened (the SMS, the payment). Waiting, running and failed rows stay, whatever their
    age: staff send the failed ones again from the desk."""
    deleted, _per_model = OutboxJob.objects.filter(
        state=OutboxState.DONE, finished_at__lt=before
    ).delete()
    return deleted
