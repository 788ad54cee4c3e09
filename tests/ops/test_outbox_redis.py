"""A job committed while Redis is down is delivered once it is back: the outbox row waits,
the scheduler's tick sweeps it onto the queue, a real worker runs it, the SMS goes out once.

The Redis here is one this test starts and stops itself (redis-server on a free port), so
the outage is real, on SQLite as on MariaDB."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.utils import timezone

from apps.meter_service.doctype.notification import services as sms_services
from apps.meter_service.doctype.notification.models import SmsMessage, SmsStatus
from apps.meter_service.doctype.outbox import services as outbox
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState

QUEUES = ("default", "notifications")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("redis-server did not start")


@pytest.fixture
def redis_later(settings, monkeypatch):
    """The site's queues on a Redis that is down until `start()` is called."""
    import django_rq.settings

    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    for name in QUEUES:
        monkeypatch.setitem(django_rq.settings.QUEUES, name, {"URL": url, "DEFAULT_TIMEOUT": 60})
    settings.METER_JOBS_MODE = "rq"
    settings.REDIS_URL = url  # the scheduler's own check
    settings.METER_PERIODIC_JOBS = []
    outbox._rq_queue.cache_clear()
    servers: list[subprocess.Popen] = []

    class Redis:
        def start(self) -> None:
            servers.append(_start_redis(port))

    yield Redis()
    outbox._rq_queue.cache_clear()
    for server in servers:
        server.terminate()
        server.wait(10)


def _work() -> None:
    import django_rq
    from rq import SimpleWorker

    queues = [django_rq.get_queue(name) for name in QUEUES]
    SimpleWorker(queues, connection=queues[0].connection).work(burst=True)


@pytest.mark.django_db(transaction=True)
def test_a_filing_committed_with_redis_down_texts_once_redis_is_back(
    redis_later, fake_sms, make_claim
):
    sms_services.message_templates_ensure_defaults()

    claim = make_claim()  # committed; the hand-over to RQ fails, the filing does not

    [row] = OutboxJob.objects.filter(path="apps.meter_service.jobs.claim_notify")
    assert row.state == OutboxState.PENDING and row.dispatched_at is None
    assert fake_sms.messages() == []

    redis_later.start()
    call_command("scheduler", once=True)  # its tick sweeps the outbox onto the queue
    _work()  # the claim's notice, then the SMS it wrote

    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == 1
    [sms] = SmsMessage.objects.filter(claim=claim)
    assert sms.status == SmsStatus.SENT and sms.attempts == 1
    assert OutboxJob.objects.get(sms=sms).state == OutboxState.DONE
    assert fake_sms.requests(sms.local_id) == 1
    assert [m["localid"] for m in fake_sms.messages()] == [str(sms.local_id)]

    call_command("scheduler", once=True)  # nothing left to hand over
    _work()
    assert fake_sms.requests(sms.local_id) == 1


@pytest.mark.django_db(transaction=True)
def test_an_sms_whose_retry_came_during_an_outage_goes_when_redis_is_back(redis_later, fake_sms):
    fake_sms.fail_next(1, status=503)
    redis_later.start()
    message = sms_services.sms_send(to="09121234567", body="پیام آزمایشی")
    _work()  # the first try meets the provider's outage
    row = OutboxJob.objects.get(sms=message)
    assert row.state == OutboxState.PENDING

    OutboxJob.objects.filter(pk=row.pk).update(due_at=timezone.now())  # its time has come
    outbox.outbox_sweep()
    _work()

    message.refresh_from_db(), row.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.attempts == 2
    assert row.state == OutboxState.DONE
    assert len(fake_sms.messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_sweeps_again_after_its_database_connection_broke(
    redis_later, fake_sms, make_claim
):
    """A database outage breaks the long-running scheduler's connection (here: the server
    kills it, as a restart does) and fails its tick; the next tick connects again and
    sweeps, instead of failing every sweep until the process is restarted."""
    if connection.vendor != "mysql":
        pytest.skip("an in-memory SQLite test database cannot be dropped and reopened")
    sms_services.message_templates_ensure_defaults()
    claim = make_claim()  # Redis down: the row waits for the sweep
    [row] = OutboxJob.objects.filter(path="apps.meter_service.jobs.claim_notify")
    assert row.dispatched_at is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        (killed,) = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(f"KILL CONNECTION {int(killed)}")
    finally:
        other.close()

    redis_later.start()
    # This thread's connection is the scheduler's. With MariaDB's connection health checks
    # the tick replaces it before use; without them the tick fails on it and gives it up.
    # Either way the next tick sweeps.
    with contextlib.suppress(OperationalError):
        call_command("scheduler", once=True)

    call_command("scheduler", once=True)  # the outage is over
    _work()

    row.refresh_from_db()
    assert row.state == OutboxState.DONE
    [sms] = SmsMessage.objects.filter(claim=claim)
    assert sms.status == SmsStatus.SENT
    assert fake_sms.requests(sms.local_id) == 1
