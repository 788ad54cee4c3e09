"""Django's MariaDB backend, counting what each connection commits.

The conflict retry (apps/meter_service/core/db_retry.py) runs a request or job again only if
none of its work is in the database yet: a COMMIT that succeeded, or a write made outside
any transaction (autocommit), counts; a connection lost during COMMIT is marked, since the
server may have committed before it went away.
"""

from __future__ import annotations

from django.db.backends.mysql import base

_LOST = frozenset({2006, 2013})


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commits_done = 0
        self.commit_lost = False
        self.execute_wrappers.append(self._count_autocommit_write)

    def commit(self) -> None:
        try:
            super().commit()
        except Exception as exc:
            args = getattr(exc.__cause__ or exc, "args", ())
            if args and args[0] in _LOST:
                self.commit_lost = True
            raise
        self.commits_done += 1

    def _count_autocommit_write(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.in_atomic_block and not sql.lstrip()[:6].upper().startswith(
            ("SELECT", "SHOW", "SET", "SAVEPO", "ROLLBA")
        ):
            self.commits_done += 1
        return result
