"""SQLite whose writers queue on a lock file instead of in SQLite's busy handler.

SQLite has one writer at a time. A second `BEGIN IMMEDIATE` meets SQLITE_BUSY and the busy
handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries, whether or not the lock came
free meanwhile: with four filings at once most of their time is that sleep. Here each
write transaction first takes an exclusive `flock` on `<database>-writer.lock`, polled
every millisecond or two, so the next writer starts about when the last one commits. The
lock is advisory and only ours: SQLite's own locking is unchanged underneath (a process
that skips the file, such as the `sqlite3` shell, is still kept out by SQLite itself).
In-memory databases (the tests') have one connection's writers only and take no file lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from django.db.backends.sqlite3 import base

POLL_SECONDS = (0.0005, 0.001, 0.002)  # the first waits, then every 2 ms

# Lock files this thread holds through some connection: a second connection of the same
# thread waiting on it would wait for itself, so it falls back to SQLite's busy handler.
_held = threading.local()


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock: int | None = None

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
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        tries = 0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    # Give up queueing here: SQLite's busy handler has the last word.
                    os.close(fd)
                    return
                time.sleep(POLL_SECONDS[min(tries, len(POLL_SECONDS) - 1)])
                tries += 1
        self._writer_lock = fd
        held.add(path)

    def _release_writer_lock(self) -> None:
        fd, self._writer_lock = self._writer_lock, None
        if fd is None:
            return
        getattr(_held, "paths", set()).discard(self._writer_lock_path())
        os.close(fd)  # closing the descriptor drops its flock

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_writer_lock()
