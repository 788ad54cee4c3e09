"""The SQLite backend queues write transactions on a lock file: the next writer starts when
the last one commits or rolls back, not after SQLite's busy sleeps."""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import OperationalError, connections

from apps.meter_service.backends.sqlite3.base import DatabaseWrapper


def _connect(path: Path, timeout: float = 5) -> DatabaseWrapper:
    settings = {
        **connections["default"].settings_dict,
        "ENGINE": "apps.meter_service.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "CONN_MAX_AGE": 0,
    }
    wrapper = DatabaseWrapper(settings, alias=f"writer-lock-{uuid.uuid4().hex}")
    wrapper.ensure_connection()
    return wrapper


def _begin(wrapper: DatabaseWrapper) -> None:
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(wrapper: DatabaseWrapper, *, commit: bool = True) -> None:
    wrapper.commit() if commit else wrapper.rollback()
    wrapper.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    """These tests open their own SQLite files, outside the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "db.sqlite3"
    wrapper = _connect(path)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE step (n INTEGER, writer TEXT)")
    wrapper.close()
    return path


def _writer(path: Path, name: str, log: list, started: threading.Event, hold: float, commit: bool):
    wrapper = _connect(path)
    try:
        _begin(wrapper)
        log.append(("begin", name))
        started.set()
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO step VALUES (1, %s)", [name])
        time.sleep(hold)
        log.append(("end", name))
        _end(wrapper, commit=commit)
    finally:
        wrapper.close()


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "rollback"])
def test_a_second_writer_begins_when_the_first_ends(database, commit):
    log: list = []
    first_in = threading.Event()
    first = threading.Thread(target=_writer, args=(database, "first", log, first_in, 0.3, commit))
    first.start()
    assert first_in.wait(5)
    second = threading.Thread(
        target=_writer, args=(database, "second", log, threading.Event(), 0, True)
    )
    second.start()
    first.join(10)
    second.join(10)
    assert log == [("begin", "first"), ("end", "first"), ("begin", "second"), ("end", "second")]
    assert Path(f"{database}-writer.lock").exists()
    reader = _connect(database)
    with reader.cursor() as cursor:
        cursor.execute("SELECT writer FROM step ORDER BY rowid")
        written = [row[0] for row in cursor.fetchall()]
    reader.close()
    assert written == (["first", "second"] if commit else ["second"])


def _lock_is_free(database: Path) -> bool:
    fd = os.open(f"{database}-writer.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_the_lock_is_held_for_the_transaction_only(database):
    holder = _connect(database)
    _begin(holder)
    assert not _lock_is_free(database)
    _end(holder)
    assert _lock_is_free(database)
    _begin(holder)
    _end(holder, commit=False)
    assert _lock_is_free(database)
    _begin(holder)
    holder.close()  # mid-transaction
    assert _lock_is_free(database)


def test_a_thread_never_waits_for_its_own_lock(database):
    """A second connection of the same thread falls back to SQLite's own busy handling: an
    error after the timeout, not a thread waiting for itself for ever."""
    holder = _connect(database)
    _begin(holder)
    try:
        other = _connect(database, timeout=0.2)
        with pytest.raises(OperationalError):
            _begin(other)
        other.close()
    finally:
        _end(holder)
        holder.close()


def test_a_writer_that_waits_past_the_timeout_gets_sqlites_error_and_leaves_the_lock_free(
    database,
):
    """The wait on the lock file ends with the connection's timeout; the writer then meets
    SQLite's own lock (an error, as SQLite alone would give), and the lock it gave up on is
    dropped once its holder lets go: it does not stay taken by the abandoned wait."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holder = _connect(database)
        try:
            _begin(holder)
            holding.set()
            release.wait(10)
            _end(holder)
        finally:
            holder.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        waiter = _connect(database, timeout=0.2)
        with pytest.raises(OperationalError, match="locked"):
            _begin(waiter)
        waiter.close()
    finally:
        release.set()
        holder.join(10)
    # The abandoned wait takes the lock when the holder lets go, and drops it at once.
    deadline = time.monotonic() + 5
    while not _lock_is_free(database) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _lock_is_free(database)
    after = _connect(database, timeout=0.2)
    _begin(after)
    _end(after)
    after.close()


@pytest.fixture
def wal_pages(tmp_path):
    """A connection to a new write-ahead-logged database with an empty `page` table."""
    wrapper = _connect(tmp_path / "wal.sqlite3")
    with wrapper.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE page (body BLOB)")
    yield wrapper
    wrapper.close()


def _file_size(wrapper: DatabaseWrapper) -> int:
    return Path(wrapper.settings_dict["NAME"]).stat().st_size


def test_the_log_is_checkpointed_after_every_few_commits_not_inside_one(wal_pages):
    """The connection copies the log into the database file itself every CHECKPOINT_EVERY
    commits; SQLite's own checkpoint (inside a commit, while the writer lock is held) comes
    only far later, as a bound."""
    from apps.meter_service.backends.sqlite3 import base

    with wal_pages.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == base.AUTOCHECKPOINT_PAGES
    assert base.AUTOCHECKPOINT_PAGES > 10 * base.CHECKPOINT_EVERY * 15
    size_before = _file_size(wal_pages)

    def commit_a_page() -> None:
        _begin(wal_pages)
        with wal_pages.cursor() as cursor:
            cursor.execute("INSERT INTO page VALUES (randomblob(3000))")
        _end(wal_pages)

    for _commit in range(base.CHECKPOINT_EVERY - 1):
        commit_a_page()
    assert _file_size(wal_pages) == size_before  # all in the log so far
    commit_a_page()
    assert _file_size(wal_pages) > size_before + (base.CHECKPOINT_EVERY - 1) * 3000


def test_writes_outside_transactions_reach_the_database_file_at_sqlites_bound(
    monkeypatch, tmp_path
):
    """Autocommit writes count no commits for the connection's own checkpoint; SQLite's
    automatic checkpoint, kept at AUTOCHECKPOINT_PAGES, still copies their log over."""
    from apps.meter_service.backends.sqlite3 import base

    monkeypatch.setattr(base, "AUTOCHECKPOINT_PAGES", 10)  # read as a connection opens
    wrapper = _connect(tmp_path / "autocommit.sqlite3")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("CREATE TABLE page (body BLOB)")
            size_before = _file_size(wrapper)
            for _write in range(base.CHECKPOINT_EVERY // 2):
                cursor.execute("INSERT INTO page VALUES (randomblob(3000))")
        assert wrapper._commits_unchecked == 0  # the connection's own count never moved
        assert _file_size(wrapper) > size_before + 10 * 3000
    finally:
        wrapper.close()
