"""Racing tests on SQLite: wait out its table locks the way MariaDB waits on row locks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

T = TypeVar("T")


def retry_while_locked(call: Callable[[], T], *, seconds: float = 4.0) -> T:
    """Run `call`, retrying while SQLite answers "database table is locked".

    The SQLite test database is shared-cache in memory, where a connection meeting another's
    write lock fails at once instead of waiting as the file database (busy timeout) and
    MariaDB (row locks) do; so the caller waits and retries.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
