"""Run a whole request or job again when its transaction lost a conflict on MariaDB/Galera.

Galera certifies a transaction at COMMIT against what the other nodes committed meanwhile;
the loser gets a deadlock error (1213) although it waited on no lock. A single InnoDB
server raises the same error on a real deadlock, and 1205 when a lock wait times out; a
node that is joining or left the cluster answers 1047 ("WSREP has not yet prepared node for
application use") until HAProxy moves the connection to the next node. In every case the
server rolled the transaction back, so the only fix is to run the transaction again, from
its first read, which only the code that opened it can do.

Where: at the doors, one wrapper around each view (RetryOnConflictMiddleware, last in the
middleware, so the view runs inside it) and each job (the RQ job class, and the in-process
job runner). Every write the site makes starts at one of them, and a service may be called
inside another's `transaction.atomic`, so only the outermost caller can retry; wrapping the
door covers the services that open several transactions, and views that call more than one
service, without touching the 85 `atomic` blocks. Management commands are not wrapped: an
operator runs them again.

Safe because nothing of a failed attempt is kept: its transaction was rolled back, and its
`transaction.on_commit` callbacks (jobs, SMS, cache generations: the site's outbox) were
discarded with it by Django. If any transaction of the attempt had already committed (a view
calling two services, the second losing), the attempt is not run again: the error goes out
as before, since running the first service again would do its work twice. Neither is an
attempt whose connection broke during COMMIT: the server may have committed it.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("meter_service.db_retry")

# MariaDB error codes after which the server has rolled the transaction back.
DEADLOCK = 1213  # also Galera's certification failure
LOCK_WAIT_TIMEOUT = 1205  # the statement only; the open atomic block then rolls back the rest
WSREP_NOT_READY = 1047  # the node is not (or no longer) a synced member of the cluster
CONFLICT_CODES = frozenset({DEADLOCK, LOCK_WAIT_TIMEOUT, WSREP_NOT_READY})
# The connection broke (HAProxy moved on from a dead node): safe only before any COMMIT.
CONNECTION_LOST_CODES = frozenset({2006, 2013})
BACKOFF_SECONDS = 0.05  # doubled at every attempt, with jitter, so the rivals spread out

F = TypeVar("F", bound=Callable[..., Any])


def error_code(exc: BaseException) -> int | None:
    """The MariaDB error number of a database error (Django keeps the driver's args)."""
    for candidate in (exc, exc.__cause__):
        args = getattr(candidate, "args", ())
        if args and isinstance(args[0], int):
            return args[0]
    return None


def attempts() -> int:
    return max(1, int(settings.METER_SERVICE["DATABASE_CONFLICT_ATTEMPTS"]))


def _start(connection) -> int:
    """What the connection has committed so far (counted by the MariaDB backend)."""
    connection.commit_lost = False
    return getattr(connection, "commits_done", 0)


def database_error_in(exc: BaseException) -> DatabaseError | None:
    """The database error behind `exc`: itself, or the one a library raised its own exception
    from or while handling (SpiffWorkflow wraps what a step's service call raised)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DatabaseError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def retryable(exc: BaseException, connection, commits_before: int) -> bool:
    """Whether the failed attempt may run again: a conflict the server rolled back, and
    nothing of the attempt committed (or possibly committed)."""
    database_error = database_error_in(exc)
    if database_error is None or connection.vendor != "mysql":
        return False
    if getattr(connection, "commits_done", 0) != commits_before or connection.commit_lost:
        return False
    code = error_code(database_error)
    return code in CONFLICT_CODES or code in CONNECTION_LOST_CODES


def run_with_retry(func: Callable[..., Any], *args, using: str = "default", **kwargs) -> Any:
    """Call func; on a conflict that rolled everything back, call it again (bounded)."""
    connection = connections[using]
    if connection.in_atomic_block:  # an outer caller owns the transaction: it retries
        return func(*args, **kwargs)
    limit = attempts()
    for attempt in range(1, limit + 1):
        before = _start(connection)
        try:
            return func(*args, **kwargs)
        except DatabaseError as exc:
            if attempt == limit or not retryable(exc, connection, before):
                raise
            logger.warning(
                "database conflict: running again",
                extra={"error": error_code(exc), "attempt": attempt, "of": limit},
            )
            if error_code(exc) in CONNECTION_LOST_CODES | {WSREP_NOT_READY}:
                connection.close()  # the next attempt connects again, through HAProxy
            delay = BACKOFF_SECONDS * (2 ** (attempt - 1))
            time.sleep(delay + random.uniform(0, delay))
    raise AssertionError("unreachable")  # pragma: no cover


def retry_on_conflict(func: F) -> F:
    """Decorator form of run_with_retry."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return run_with_retry(func, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def rewind_uploads(request) -> None:
    """The uploads a rolled-back attempt read are read again from their first byte.

    The request's body is parsed once, by the first attempt (Django, or DRF, which hands its
    files to the Django request); a second attempt gets the same file objects, read to their
    end: a bill scan sent during a failover was refused as not a PDF (scripts/cluster)."""
    files = getattr(request, "_files", None)
    for _name, uploads in files.lists() if files else ():
        for upload in uploads:
            upload.seek(0)


class RetryOnConflictMiddleware:
    """Runs the view inside run_with_retry (last in MIDDLEWARE, so every other middleware's
    process_view, CSRF's included, has already passed)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        attempts = []

        def view():
            attempts.append(1)
            if len(attempts) > 1:
                rewind_uploads(request)
            response = view_func(request, *view_args, **view_kwargs)
            # A template response reads the database as it renders (the desk's pages):
            # render it here, where a lost connection is retried too. No middleware of
            # the site changes template responses (process_template_response).
            if callable(getattr(response, "render", None)):
                response.render()
            return response

        return run_with_retry(view)
