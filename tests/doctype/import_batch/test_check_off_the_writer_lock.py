"""On SQLite, the import's dry run writes to a private copy: other writers commit meanwhile.

The check of a large file took a write transaction for its whole run (tens of seconds on the
demo), so a desk login meanwhile failed with "database is locked". These tests run on a
SQLite file, as a site does, not on the tests' in-memory database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from apps.meter_service.backends.sqlite3.base import DatabaseWrapper
from apps.meter_service.doctype.import_batch import services
from apps.meter_service.doctype.import_batch.models import (
    ImportBatch,
    ImportStatus,
    ImportTarget,
)
from apps.meter_service.doctype.import_batch.selectors import progress_key
from apps.meter_service.doctype.subscriber.models import Subscriber

from .test_import import admin_user, desk_user, role_groups, subscriber_csv, subscriber_row  # noqa: F401

ROWS = 1500
WRITER_TIMEOUT = 2.0  # seconds another writer waits for the lock before "database is locked"


@pytest.fixture(autouse=True)
def _jobs_and_files(settings, tmp_path):
    settings.METER_JOBS_MODE = "inline"
    settings.MEDIA_ROOT = tmp_path / "files"


def _wrapper(path, alias: str, timeout: float) -> DatabaseWrapper:
    base = connections[DEFAULT_DB_ALIAS].settings_dict
    return DatabaseWrapper(
        {
            **base,
            "ENGINE": "apps.meter_service.backends.sqlite3",
            "NAME": str(path),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": timeout,
            },
        },
        alias,
    )


@pytest.fixture
def site_database(transactional_db, admin_user, tmp_path):  # noqa: F811
    """This thread's default database becomes a SQLite file holding the test database's
    tables and users, as on a site (the writer lock file beside it)."""
    if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
        pytest.skip("the SQLite writer lock; MariaDB has row locks")
    path = tmp_path / "db.sqlite3"
    target = sqlite3.connect(path)
    connections[DEFAULT_DB_ALIAS].ensure_connection()
    connections[DEFAULT_DB_ALIAS].connection.backup(target)
    target.close()
    in_memory = connections[DEFAULT_DB_ALIAS]
    on_file = _wrapper(path, DEFAULT_DB_ALIAS, timeout=20)
    connections[DEFAULT_DB_ALIAS] = on_file
    try:
        yield path
    finally:
        on_file.close()
        connections[DEFAULT_DB_ALIAS] = in_memory


def _other_writer(path, seen: dict, done: threading.Event) -> None:
    """Wait until the check runs, then write and commit as a desk login would."""
    wrapper = _wrapper(path, f"other-{uuid.uuid4().hex}", timeout=WRITER_TIMEOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT id FROM meter_service_importbatch")
                row = cursor.fetchone()
            # Rows are being checked: the check's transaction has begun.
            progress = cache.get(progress_key(row[0])) if row else None
            if progress and 0 < progress["processed"] < progress["total"]:
                break
            time.sleep(0.005)
        else:
            seen["error"] = "the check never started"
            return
        started = time.monotonic()
        try:
            wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            with wrapper.cursor() as cursor:
                cursor.execute(
                    "UPDATE auth_user SET last_login = CURRENT_TIMESTAMP WHERE username = ?",
                    ["system_admin-user"],
                )
            wrapper.commit()
            wrapper.set_autocommit(True)
        except OperationalError as exc:
            seen["error"] = str(exc)
            return
        seen["wait"] = time.monotonic() - started
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT status FROM meter_service_importbatch")
            seen["status_after_commit"] = cursor.fetchone()[0]
    finally:
        wrapper.close()
        done.set()


def test_another_writer_commits_while_a_long_check_runs(site_database, admin_user):  # noqa: F811
    seen: dict = {}
    done = threading.Event()
    writer = threading.Thread(target=_other_writer, args=(site_database, seen, done))
    writer.start()
    content = subscriber_csv([subscriber_row(5_000_000 + n) for n in range(ROWS)])
    # The dry run runs inline when the upload commits, in this thread, on the site's file.
    try:
        batch = services.import_batch_create(
            target=ImportTarget.SUBSCRIBER,
            uploaded_file=SimpleUploadedFile("subscribers.csv", content),
            actor=admin_user,
        )
    finally:
        done.wait(180)
        writer.join(5)

    assert "error" not in seen, seen
    assert seen["status_after_commit"] == ImportStatus.VALIDATING  # while the check ran
    assert seen["wait"] < WRITER_TIMEOUT
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == ImportStatus.VALID and batch.created_rows == ROWS
    # Still a dry run: nothing of the file was written to the site's database.
    assert not Subscriber.objects.filter(subscription_number__startswith="5").exists()
    # The private copy is gone.
    assert sorted(p.name for p in site_database.parent.iterdir() if p.name.startswith(".")) == []
