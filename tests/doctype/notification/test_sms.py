"""Sending SMS: logged in the request, delivered by the job through the fake provider."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.meter_service import jobs
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.notification import services
from apps.meter_service.doctype.notification.models import SmsMessage, SmsStatus
from apps.meter_service.integrations.sms.adapter import SmsTransientError

pytestmark = pytest.mark.django_db

TEXT = "شرکت گاز: درخواست شما ثبت شد. کد رهگیری: ۱۲۳-۴۵۶-۷۸۹۰"


def send(capture, **fields) -> SmsMessage:
    fields = {"to": "09121234567", "body": TEXT, **fields}
    with capture(execute=True):
        message = services.sms_send(**fields)
    message.refresh_from_db()
    return message


def test_a_message_is_delivered_after_the_commit(fake_sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = services.sms_send(to="۰۹۱۲۱۲۳۴۵۶۷", body=TEXT, template_key="claim_filed")
        assert message.status == SmsStatus.QUEUED
        assert fake_sms.messages() == []  # never inside the request's transaction
    for callback in callbacks:
        callback()

    message.refresh_from_db()
    [at_provider] = fake_sms.messages()
    assert message.to == "09121234567"
    assert message.status == SmsStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.provider_message_id == str(at_provider["messageid"])
    assert at_provider["receptor"] == "09121234567"
    assert at_provider["message"] == TEXT
    assert at_provider["localid"] == str(message.local_id)


def test_the_job_goes_on_the_notifications_queue(monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *a, **kw: queued.append((func, a, kw)))

    message = services.sms_send(to="09121234567", body=TEXT)

    assert queued == [(jobs.sms_deliver, (message.pk,), {"queue": "notifications"})]


def test_a_bad_mobile_is_refused():
    with pytest.raises(ValidationError) as caught:
        services.sms_send(to="0912", body=TEXT)

    assert "to" in caught.value.error_dict
    assert SmsMessage.objects.count() == 0


def test_transient_failures_are_retried_then_sent(fake_sms, django_capture_on_commit_callbacks):
    fake_sms.fail_next(2, status=503)

    message = send(django_capture_on_commit_callbacks)

    assert message.status == SmsStatus.SENT
    assert message.attempts == 3
    assert "503" in message.last_error  # the last failure stays on record
    assert len(fake_sms.messages()) == 1


def test_retries_stop_at_max_attempts(fake_sms, settings, django_capture_on_commit_callbacks):
    settings.METER_SMS = {**settings.METER_SMS, "MAX_ATTEMPTS": 3}
    fake_sms.fail_next(5, status=502)

    message = send(django_capture_on_commit_callbacks)

    assert message.status == SmsStatus.FAILED
    assert message.attempts == 3
    assert "502" in message.last_error
    assert fake_sms.messages() == []


def test_a_permanent_failure_is_not_retried(fake_sms, django_capture_on_commit_callbacks):
    fake_sms.fail_next(1, status=418)

    message = send(django_capture_on_commit_callbacks)

    assert message.status == SmsStatus.FAILED
    assert message.attempts == 1
    assert "418" in message.last_error
    assert message.sent_at is None


def test_backoff_doubles_and_is_capped(
    fake_sms, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.METER_SMS = {**settings.METER_SMS, "BACKOFF_SECONDS": 2, "MAX_BACKOFF_SECONDS": 5}
    sleeps = []
    monkeypatch.setattr(services.time, "sleep", sleeps.append)
    fake_sms.fail_next(3, status=500)

    message = send(django_capture_on_commit_callbacks)

    assert message.status == SmsStatus.SENT
    assert sleeps == [2, 4, 5]


def test_a_message_is_never_sent_twice(fake_sms, django_capture_on_commit_callbacks):
    message = send(django_capture_on_commit_callbacks)

    again = services.sms_deliver(message_id=message.pk)

    assert again.status == SmsStatus.SENT
    assert again.attempts == 1
    assert len(fake_sms.messages()) == 1


def test_a_message_being_sent_elsewhere_is_left_alone(fake_sms):
    message = services.sms_send(to="09121234567", body=TEXT)  # on_commit not run: still queued
    SmsMessage.objects.filter(pk=message.pk).update(
        status=SmsStatus.SENDING, attempts=1, last_attempt_at=timezone.now()
    )

    services.sms_deliver(message_id=message.pk)

    assert fake_sms.messages() == []
    assert SmsMessage.objects.get(pk=message.pk).status == SmsStatus.SENDING


def test_a_message_left_sending_by_a_crashed_worker_is_taken_again(fake_sms):
    message = services.sms_send(to="09121234567", body=TEXT)
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    SmsMessage.objects.filter(pk=message.pk).update(
        status=SmsStatus.SENDING, attempts=1, last_attempt_at=long_ago
    )

    services.sms_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert message.attempts == 2
    assert len(fake_sms.messages()) == 1


def test_a_lost_answer_does_not_text_twice(
    fake_sms, monkeypatch, django_capture_on_commit_callbacks
):
    """The provider took the message but the answer was lost: the retry reuses the localid."""
    real_send = services.adapter.send_sms
    calls = []

    def answer_lost_once(**kwargs):
        receipt = real_send(**kwargs)
        calls.append(receipt)
        if len(calls) == 1:
            raise SmsTransientError("provider timed out")
        return receipt

    monkeypatch.setattr(services.adapter, "send_sms", answer_lost_once)

    message = send(django_capture_on_commit_callbacks)

    assert message.status == SmsStatus.SENT
    assert message.attempts == 2
    assert len(fake_sms.messages()) == 1
    assert calls[0].message_id == calls[1].message_id


def test_a_secret_is_masked_in_the_log_and_sent_in_full(
    fake_sms, django_capture_on_commit_callbacks
):
    message = send(django_capture_on_commit_callbacks, body="کد ورود: ۴۸۲۹۱۰", redact=["۴۸۲۹۱۰"])

    assert message.redacted
    assert message.body == "کد ورود: ••••••"
    assert fake_sms.messages()[0]["message"] == "کد ورود: ۴۸۲۹۱۰"


def test_a_masked_message_without_its_text_fails_rather_than_sending_the_mask(fake_sms):
    message = services.sms_send(to="09121234567", body="کد: ۱۲۳۴", redact=["۱۲۳۴"])

    services.sms_deliver(message_id=message.pk)  # a re-run without the job's text

    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED
    assert fake_sms.messages() == []


def test_a_failed_message_can_be_sent_again(
    fake_sms, admin_user, django_capture_on_commit_callbacks
):
    fake_sms.fail_next(1, status=418)
    message = send(django_capture_on_commit_callbacks)
    assert message.status == SmsStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        services.sms_retry(message=message, actor=admin_user)

    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert message.attempts == 2
    assert DocumentEvent.objects.filter(event_type="sms_retried", actor=admin_user).count() == 1
    with pytest.raises(ValidationError):
        services.sms_retry(message=message)


def test_a_masked_message_cannot_be_sent_again(fake_sms, django_capture_on_commit_callbacks):
    fake_sms.fail_next(1, status=418)
    message = send(django_capture_on_commit_callbacks, body="کد: ۱۲۳۴", redact=["۱۲۳۴"])

    with pytest.raises(ValidationError) as caught:
        services.sms_retry(message=message)

    assert caught.value.code == "sms_masked"


# --- with RQ ------------------------------------------------------------------------------


class _Queue:
    def __init__(self):
        self.calls = []

    def enqueue(self, path, *args, **kwargs):
        self.calls.append((path, args, kwargs))


def test_on_rq_the_job_carries_rqs_retry(settings, monkeypatch, django_capture_on_commit_callbacks):
    import django_rq

    settings.METER_JOBS_MODE = "rq"
    settings.METER_SMS = {**settings.METER_SMS, "MAX_ATTEMPTS": 4, "BACKOFF_SECONDS": 2}
    queue = _Queue()
    monkeypatch.setattr(django_rq, "get_queue", lambda name, **kw: queue)

    with django_capture_on_commit_callbacks(execute=True):
        plain = services.sms_send(to="09121234567", body=TEXT)
        secret = services.sms_send(to="09121234567", body="کد ۹۹", redact=["۹۹"])

    (path, args, kwargs), (_path, secret_args, secret_kwargs) = queue.calls
    assert path == "apps.meter_service.jobs.sms_deliver"
    assert args == (plain.pk,)
    assert kwargs["retry"].max == 3
    assert kwargs["retry"].intervals == [2, 4, 8]
    assert "body" not in kwargs
    assert secret_args == (secret.pk,)
    assert secret_kwargs["body"] == "کد ۹۹"
    assert secret_kwargs["result_ttl"] == 0


@pytest.mark.parametrize(("retries_left", "status"), [(2, SmsStatus.QUEUED), (0, SmsStatus.FAILED)])
def test_on_rq_a_transient_failure_is_left_to_rqs_retry(
    fake_sms, settings, monkeypatch, retries_left, status
):
    message = services.sms_send(to="09121234567", body=TEXT)
    settings.METER_JOBS_MODE = "rq"
    job = SimpleNamespace(retries_left=retries_left)
    monkeypatch.setattr("rq.get_current_job", lambda: job)
    fake_sms.fail_next(1, status=503)

    if retries_left:
        with pytest.raises(SmsTransientError):
            services.sms_deliver(message_id=message.pk)
    else:
        services.sms_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == status
    assert message.attempts == 1  # one try per run: RQ schedules the next


def test_a_real_rq_worker_retries_then_sends(
    fake_sms, settings, monkeypatch, django_capture_on_commit_callbacks
):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set METER_REDIS_URL")
    import uuid

    import django_rq
    import django_rq.settings
    from rq import SimpleWorker

    name = f"sms-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setitem(django_rq.settings.QUEUES, name, {"URL": settings.REDIS_URL})
    monkeypatch.setattr(services, "QUEUE", name)
    settings.METER_JOBS_MODE = "rq"
    queue = django_rq.get_queue(name)
    fake_sms.fail_next(2, status=503)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = services.sms_send(to="09121234567", body=TEXT)

        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        queue.delete(delete_jobs=True)

    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert message.attempts == 3
    assert len(fake_sms.messages()) == 1


# --- nothing lost: the sweeper sends again what a lost job left behind ---------------------
def _age(message: SmsMessage, minutes: int, **fields) -> None:
    at = timezone.now() - datetime.timedelta(minutes=minutes)
    SmsMessage.objects.filter(pk=message.pk).update(created_at=at, **fields)


def test_a_message_whose_job_was_lost_is_sent_again(fake_sms, django_capture_on_commit_callbacks):
    # The enqueue after commit never ran (Redis down at that moment, say).
    with django_capture_on_commit_callbacks(execute=False):
        lost = services.sms_send(to="09121234567", body=TEXT)
    _age(lost, 10)
    # A worker killed in the middle of a send.
    with django_capture_on_commit_callbacks(execute=False):
        killed = services.sms_send(to="09121234568", body=TEXT)
    stale = timezone.now() - datetime.timedelta(minutes=10)
    _age(killed, 10, status=SmsStatus.SENDING, attempts=1, last_attempt_at=stale)
    # A fresh one is left to its own job.
    with django_capture_on_commit_callbacks(execute=False):
        fresh = services.sms_send(to="09121234569", body=TEXT)

    with django_capture_on_commit_callbacks(execute=True):
        counts = jobs.sms_resend_stale()

    assert counts == {"queued": 1, "sending": 1, "failed": 0}
    assert {m["receptor"] for m in fake_sms.messages()} == {"09121234567", "09121234568"}
    lost.refresh_from_db(), killed.refresh_from_db(), fresh.refresh_from_db()
    assert (lost.status, killed.status, fresh.status) == ("sent", "sent", "queued")


def test_a_provider_outage_longer_than_the_retries_is_sent_after_it(
    fake_sms, settings, django_capture_on_commit_callbacks
):
    settings.METER_SMS = {**settings.METER_SMS, "MAX_ATTEMPTS": 2}
    fake_sms.fail_next(2, status=503)
    message = send(django_capture_on_commit_callbacks)
    assert message.status == SmsStatus.FAILED
    later = timezone.now() - datetime.timedelta(minutes=10)
    SmsMessage.objects.filter(pk=message.pk).update(last_attempt_at=later)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.sms_resend_stale()["failed"] == 1
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.attempts == 3
    # A permanent refusal is left to staff.
    fake_sms.fail_next(1, status=418)
    refused = send(django_capture_on_commit_callbacks, to="09121234560")
    SmsMessage.objects.filter(pk=refused.pk).update(last_attempt_at=later)
    assert jobs.sms_resend_stale()["failed"] == 0
