"""Reference data that every filing reads, kept in each worker's memory: the active process
version, the holidays, the fee tariffs, the agencies and the custom fields' definitions.

They change a few times a year, through the desk, yet each claim filed read all three from
the database (three queries, about a tenth of a filing). Each worker now keeps what it read,
tagged with the reference generation: a token in the cache every worker shares (Redis). A
save or delete of a process version, holiday or tariff replaces the generation, at once and
again when its transaction commits, so the next read in any worker sees its copy is stale
and reads the database again. One cache round trip replaces each query.

Why that is enough: the generation is read before the database, and the database runs READ
COMMITTED (MariaDB) or one writer at a time (SQLite), so a copy is never newer-tagged than
what it holds. A transaction that changed reference data itself reads the database until it
ends, and keeps nothing: what it sees may yet be rolled back. Changes that bypass the model
signals (bulk_create, update) call `forget_reference_data()` themselves.

Within `reference_snapshot()` the generation is read once, as the block begins: a filing
reads three kinds of reference data inside its transaction, and on SQLite that transaction
holds the only write lock, so its cache round trips are paid before the lock is taken.

A request is a lazy snapshot (`reference_scope()`, by ReferenceScopeMiddleware): the first
reference() of a request reads the generation and the rest of the request uses it, so an API
filing pays one round trip for its four kinds of reference data, and a page that reads none
pays none. A request is as short as a filing's snapshot, and its own changes end it too.

Without a shared cache (the embedded site: setting METER_REFERENCE_CACHE off) every read
goes to the database, as before.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction

REFERENCE_GENERATION_KEY = "meter:reference:generation"

T = TypeVar("T")

_copies: dict[str, tuple[str, Any]] = {}  # name -> (generation, value)
_copies_lock = threading.Lock()
# The generation read as the current reference_snapshot() began (None: outside one;
# PENDING: in a reference_scope() that has not read it yet).
_snapshot: ContextVar[str | None] = ContextVar("reference_snapshot", default=None)
PENDING = "pending"


def _enabled() -> bool:
    return bool(getattr(settings, "METER_REFERENCE_CACHE", False))


def _changed_in_this_transaction() -> bool:
    """True while a change of reference data made on this connection is not committed."""
    # Each entry is (savepoints, function, robust) since Django 4.2; the stubs give two.
    return connection.in_atomic_block and any(
        getattr(entry[1], "forgets_reference_data", False) for entry in connection.run_on_commit
    )


def _generation() -> str:
    from django.core.cache import cache

    generation = cache.get(REFERENCE_GENERATION_KEY)
    if generation is None:
        cache.add(REFERENCE_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(REFERENCE_GENERATION_KEY)
    return generation


def reference(name: str, load: Callable[[], T], *, uncached: Callable[[], T] | None = None) -> T:
    """Return `load()`, or this worker's copy of it while no reference data has changed.

    The value is shared by every request of the worker: callers must not change it.
    `uncached`: what to read instead when nothing is kept (a narrower query, say).
    """
    if not _enabled() or _changed_in_this_transaction():
        return (uncached or load)()
    generation = _snapshot_generation() or _generation()
    if generation is None:
        # The shared cache is out of reach (Redis down): no change would be heard of, so
        # nothing is kept, and what was kept is dropped; every read goes to the database.
        with _copies_lock:
            _copies.clear()
        return (uncached or load)()
    kept = _copies.get(name)
    if kept is not None and kept[0] == generation:
        return kept[1]
    value = load()
    with _copies_lock:
        _copies[name] = (generation, value)
    return value


def _snapshot_generation() -> str | None:
    """The generation of the current snapshot, read now if its scope has not read it yet."""
    generation = _snapshot.get()
    if generation == PENDING:
        generation = _generation()
        _snapshot.set(generation)  # None (the cache out of reach): every read checks again
    return generation


@contextmanager
def reference_snapshot() -> Iterator[None]:
    """Read the reference generation once, now, for every reference() inside the block.

    The block's reads are one snapshot, as of its start (milliseconds, for a filing). A
    change of reference data made inside it ends the snapshot: later reads check again.
    """
    if not _enabled() or _snapshot.get() is not None:
        _snapshot_generation()  # in a scope: read now, before the block's transaction
        yield
        return
    token = _snapshot.set(_generation())
    try:
        yield
    finally:
        _snapshot.reset(token)


@contextmanager
def reference_scope() -> Iterator[None]:
    """A snapshot read lazily: by the first reference() inside the block, if any."""
    if not _enabled() or _snapshot.get() is not None:
        yield
        return
    token = _snapshot.set(PENDING)
    try:
        yield
    finally:
        _snapshot.reset(token)


def forget_reference_data(**_kwargs) -> None:
    """Make every worker's copies stale: now, and again when the change commits."""
    if not _enabled():
        return
    _snapshot.set(None)
    from django.core.cache import cache

    def replace_generation() -> None:
        cache.set(REFERENCE_GENERATION_KEY, uuid.uuid4().hex, timeout=None)

    replace_generation.forgets_reference_data = True  # type: ignore[attr-defined]
    replace_generation()
    transaction.on_commit(replace_generation)


def forget_local_copies() -> None:
    """Drop this worker's copies (tests: a flushed database sends no signals)."""
    with _copies_lock:
        _copies.clear()


def connect_reference_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    # From the app registry: the document types sit above this module, which they read
    # through. Process versions too: the engine connects them (engine/steps.py).
    uid = "meter_service.forget_reference_data"
    for name in ("Holiday", "FeeTariff", "Agency", "CustomField"):
        model = apps.get_model("meter_service", name)
        post_save.connect(forget_reference_data, sender=model, dispatch_uid=f"{uid}.save.{model}")
        post_delete.connect(forget_reference_data, sender=model, dispatch_uid=f"{uid}.del.{model}")
