"""SQLite whose writers queue on a lock file instead of in SQLite's busy handler.

SQLite has one writer at a time. A second `BEGIN IMMEDIATE` meets SQLITE_BUSY and the busy
handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries, whether or not the lock came
free meanwhile: with four filings at once most of their time is that sleep. Here each
write transaction first takes an exclusive `flock` on `<database>-writer.lock`. A writer
that finds it taken waits in the kernel, which wakes the waiters as the holder lets go: the
next writer starts when the last one commits, and a writer that came later does not slip in
ahead of those waiting (as it did when waiters polled the lock every millisecond or two,
which made the slowest filings at concurrency 4 twice as slow as now). The lock is advisory
and only ours: SQLite's own locking is unchanged underneath (a process that skips the file,
such as the `sqlite3` shell, is still kept out by SQLite itself). In-memory databases (the
tests') have one connection's writers only and take no file lock.

SQLite checkpoints the write-ahead log into the database file at the commit that takes it
past 1,000 pages, inside the commit, so while the lock file is still held: every writer
waited for the copy and its fsync, the slowest filings at concurrency 4 and 1 alike.
Here a connection runs a passive checkpoint itself after every CHECKPOINT_EVERY commits,
once it has let the lock file go: writers go on meanwhile (a passive checkpoint never waits
for them), and only the request that runs it waits for it. SQLite's automatic checkpoint
stays only as a bound, far above what those commits write (AUTOCHECKPOINT_PAGES): writes
made outside transactions (autocommit) count no commits here, and the log must not grow
without end in a process that makes only those.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading

from django.db.backends.sqlite3 import base

CHECKPOINT_EVERY = 50  # commits of one connection (a filing writes some 15 pages)
AUTOCHECKPOINT_PAGES = 20_000  # SQLite's own checkpoint: a bound only (some 80 MB of log)

# Lock files this thread holds through some connection: a second connection of the same
# thread waiting on it would wait for itself, so it falls back to SQLite's busy handler.
_held = threading.local()


def _flock_within(fd: int, timeout: float) -> bool:
    """Lock `fd` exclusively, waiting in the kernel's queue for at most `timeout` seconds.

    `flock` has no timeout of its own, so a helper thread waits in it. If the time runs out
    first, the helper keeps the descriptor and closes it (dropping the lock) once it gets
    the lock: closing it here while the helper waits could close a reused descriptor.
    """
    taken = threading.Event()
    guard = threading.Lock()
    abandoned = False

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if abandoned:
                os.close(fd)
            else:
                taken.set()

    threading.Thread(target=wait, name="sqlite-writer-lock", daemon=True).start()
    if taken.wait(timeout):
        return True
    with guard:
        if taken.is_set():
            return True
        abandoned = True
    return False


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock: int | None = None
    _commits_unchecked = 0  # commits since this connection's last checkpoint

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self._writer_lock_path() is not None:
            # See _checkpoint_now_and_then; SQLite's own checkpoint is only a bound.
            connection.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        return connection

    def _checkpoint_now_and_then(self) -> None:
        """Copy the log into the database file every CHECKPOINT_EVERY commits, outside the
        writer lock. A checkpoint another connection is running makes this one a no-op."""
        if self._writer_lock_path() is None:
            return
        self._commits_unchecked += 1
        if self._commits_unchecked < CHECKPOINT_EVERY:
            return
        self._commits_unchecked = 0
        with contextlib.suppress(sqlite3.OperationalError):
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def snapshot_to(self, path: str) -> None:
        """Copy the database, as committed now, into a new file at `path`.

        SQLite's online backup reads the database in one read transaction: in WAL mode,
        writers go on meanwhile and never wait for it.
        """
        self.ensure_connection()
        target = sqlite3.connect(path)
        try:
            self.connection.backup(target)
        finally:
            target.close()

    def _writer_lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db():
            return None
        return f"{name}-writer.lock"

    def _acquire_writer_lock(self) -> None:
        path = self._writer_lock_path()
        held = getattr(_held, "paths", None)
        if held is None:
            held = _held.paths = set()
        if path is None or path in held:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
            if not _flock_within(fd, timeout):
                # Give up queueing here: SQLite's busy handler has the last word. The
                # descriptor is the waiting thread's to close now.
                return
        self._writer_lock = fd
        held.add(path)

    def _release_writer_lock(self) -> None:
        fd, self._writer_lock = self._writer_lock, None
        if fd is None:
            return
        held: set[str] = getattr(_held, "paths", set())
        path = self._writer_lock_path()
        if path is not None:
            held.discard(path)
        os.close(fd)  # closing the descriptor drops its flock

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in Django: no stub
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in Django: no stub
        finally:
            self._release_writer_lock()
        self._checkpoint_now_and_then()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in Django: no stub
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in Django: no stub
        finally:
            self._release_writer_lock()
