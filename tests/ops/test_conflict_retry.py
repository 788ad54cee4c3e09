"""MariaDB/Galera conflicts: a request or job whose transaction was rolled back on a deadlock
(or a Galera certification failure, which reports the same error) runs again, once more, and
only the attempt that committed leaves its side effects."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection, transaction

from apps.meter_service.core import db_retry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mariadb():
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB: set METER_DATABASE_URL")
    return connection


@pytest.fixture
def probe(mariadb):
    """A table of 200 rows of our own (with a primary key, like every table)."""
    with mariadb.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS conflict_probe")
        cursor.execute("CREATE TABLE conflict_probe (id INT PRIMARY KEY, n INT NOT NULL)")
        cursor.execute(
            "INSERT INTO conflict_probe VALUES " + ",".join(f"({i}, 0)" for i in range(1, 201))
        )
    yield "conflict_probe"
    with mariadb.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS conflict_probe")


def _other_connection():
    import MySQLdb

    params = connection.get_connection_params()
    params.pop("conv", None)
    return MySQLdb.connect(**params)


def _counts(table: str) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, n FROM {table} WHERE id IN (1, 2)")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_runs_the_action_again_and_it_completes_once(probe):
    """Two connections take rows 1 and 2 in opposite orders. InnoDB rolls back the lighter
    transaction (ours: one row against the other's 199); the action runs again and commits."""
    locked_row_1 = threading.Event()
    other_holds_rest = threading.Event()
    other_errors: list[BaseException] = []

    def other() -> None:
        conn = _other_connection()
        try:
            locked_row_1.wait(10)
            cursor = conn.cursor()
            cursor.execute("BEGIN")
            cursor.execute(f"UPDATE {probe} SET n = n + 100 WHERE id >= 2")
            other_holds_rest.set()
            cursor.execute(f"UPDATE {probe} SET n = n + 100 WHERE id = 1")  # waits on us
            conn.commit()
        except BaseException as exc:  # reported by the test below
            other_errors.append(exc)
            other_holds_rest.set()
        finally:
            conn.close()

    attempts: list[int] = []
    committed: list[int] = []

    def action() -> str:
        with transaction.atomic():
            attempt = len(attempts) + 1
            attempts.append(attempt)
            transaction.on_commit(lambda: committed.append(attempt))
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {probe} SET n = n + 1 WHERE id = 1")
                if attempt == 1:
                    locked_row_1.set()
                    assert other_holds_rest.wait(10)
                cursor.execute(f"UPDATE {probe} SET n = n + 1 WHERE id = 2")
        return "done"

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert db_retry.run_with_retry(action) == "done"
    finally:
        locked_row_1.set()
        thread.join(30)
    assert other_errors == []
    assert attempts == [1, 2]
    assert committed == [2]  # the rolled-back attempt's on_commit callback never ran
    assert _counts(probe) == {1: 101, 2: 101}  # our +1 once, the other's +100 once


@pytest.mark.django_db(transaction=True)
def test_the_attempts_are_bounded_by_the_rule(mariadb, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "DATABASE_CONFLICT_ATTEMPTS": 3}
    calls: list[int] = []

    def always_loses() -> None:
        calls.append(1)
        with transaction.atomic():
            raise OperationalError(db_retry.DEADLOCK, "Deadlock found when trying to get lock")

    with pytest.raises(OperationalError):
        db_retry.run_with_retry(always_loses)
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_an_attempt_that_already_committed_something_is_not_run_again(probe):
    calls: list[int] = []

    def commits_then_loses() -> None:
        calls.append(1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {probe} SET n = n + 1 WHERE id = 1")
        with transaction.atomic():
            raise OperationalError(db_retry.DEADLOCK, "Deadlock found when trying to get lock")

    with pytest.raises(OperationalError):
        db_retry.run_with_retry(commits_then_loses)
    assert calls == [1]
    assert _counts(probe)[1] == 1


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_the_outer_caller_retries(mariadb):
    calls: list[int] = []

    def loses() -> None:
        calls.append(1)
        raise OperationalError(db_retry.DEADLOCK, "Deadlock found when trying to get lock")

    with pytest.raises(OperationalError), transaction.atomic():
        db_retry.run_with_retry(loses)
    assert calls == [1]


@pytest.mark.django_db
def test_every_table_has_a_primary_key(mariadb):
    """Galera replicates rows by primary key: a table without one replicates badly or not
    at all (and deletes on it are refused with wsrep_certify_nonPK off)."""
    with mariadb.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.table_name FROM information_schema.tables t
            LEFT JOIN information_schema.table_constraints c
              ON c.table_schema = t.table_schema AND c.table_name = t.table_name
             AND c.constraint_type = 'PRIMARY KEY'
            WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
              AND c.constraint_name IS NULL
            """
        )
        missing = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        (count,) = cursor.fetchone()
    assert count > 50  # the site's tables are there
    assert missing == []


def test_nothing_takes_table_or_named_locks():
    """Galera does not replicate LOCK TABLES or GET_LOCK(): they lock one node only."""
    pattern = re.compile(r"LOCK\s+TABLES|GET_LOCK\s*\(|\bLOCK\s+IN\s+SHARE\s+MODE", re.I)
    hits = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("apps", "sites")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and "pattern" not in line
    ]
    assert hits == []


@pytest.mark.django_db(transaction=True)
def test_the_middleware_runs_the_view_again(probe, rf):
    """Views are wrapped at the door: the whole view runs again after a rolled-back conflict."""
    from django.http import HttpResponse

    calls: list[int] = []

    def view(request):
        calls.append(1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {probe} SET n = n + 1 WHERE id = 1")
            if len(calls) == 1:
                raise OperationalError(db_retry.LOCK_WAIT_TIMEOUT, "Lock wait timeout exceeded")
        return HttpResponse("ok")

    middleware = db_retry.RetryOnConflictMiddleware(lambda request: HttpResponse("unused"))
    response = middleware.process_view(rf.post("/x/"), view, (), {})
    assert response.content == b"ok"
    assert len(calls) == 2
    assert _counts(probe)[1] == 1  # the first attempt's update was rolled back


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_read_from_its_start_when_the_view_runs_again(mariadb, rf):
    """The second attempt of a view reads the same bytes of an upload as the first (it read
    none: a bill scan sent during a Galera failover was refused as not a PDF)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.http import HttpResponse

    seen: list[bytes] = []

    def view(request):
        seen.append(request.FILES["scan"].read())
        if len(seen) == 1:
            raise OperationalError(2013, "Lost connection to server during query")
        return HttpResponse("ok")

    request = rf.post("/x/", {"scan": SimpleUploadedFile("bill.pdf", b"%PDF-1.4 a scan")})
    middleware = db_retry.RetryOnConflictMiddleware(lambda request: HttpResponse("unused"))
    response = middleware.process_view(request, view, (), {})
    assert response.content == b"ok"
    assert seen == [b"%PDF-1.4 a scan", b"%PDF-1.4 a scan"]


class _Connection:
    """What retryable reads of a MariaDB connection: its vendor and what it committed."""

    vendor = "mysql"
    commits_done = 0
    commit_lost = False


class _StepFailed(Exception):
    """A library's own exception, raised from the database error a step hit (as SpiffWorkflow
    does when a service task's call fails)."""


def _wrapped(code: int, *, chained: str) -> Exception:
    try:
        try:
            raise OperationalError(code, "Deadlock found when trying to get lock")
        except OperationalError as exc:
            if chained == "from":
                raise _StepFailed("the step failed") from exc
            # Raised while handling it: only __context__ points at the database error.
            raise _StepFailed("the step failed")  # noqa: B904
    except _StepFailed as wrapped:
        return wrapped


@pytest.mark.parametrize("chained", ["from", "context"])
def test_a_deadlock_wrapped_by_a_library_is_retried(chained):
    """The cluster run saw a 1213 inside the process engine answer 500: the engine raised its
    own exception, and the retry looked at that one only."""
    assert db_retry.retryable(_wrapped(1213, chained=chained), _Connection(), 0)
    # Not a conflict: a duplicate key stays an error, wrapped or not.
    assert not db_retry.retryable(_wrapped(1062, chained=chained), _Connection(), 0)
    # Something committed already: never again.
    committed = _Connection()
    committed.commits_done = 1
    assert not db_retry.retryable(_wrapped(1213, chained=chained), committed, 0)
    assert not db_retry.retryable(_StepFailed("no database error behind it"), _Connection(), 0)
