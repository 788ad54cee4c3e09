"""Sending SMS: logged in the request, delivered by the job through the fake provider."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.notification import services
from apps.meter_service.doctype.notification.models import SmsMessage, SmsStatus
from apps.meter_service.doctype.outbox import services as outbox
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState
from apps.meter_service.doctype.outbox.services import PermanentError
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


def test_the_delivery_is_an_outbox_row_on_the_notifications_queue():
    message = services.sms_send(to="09121234567", body=TEXT)  # its commit hook not run

    [row] = OutboxJob.objects.all()
    assert row.path == "apps.meter_service.jobs.sms_deliver"
    assert (row.args, row.kwargs) == ([message.pk], {})
    assert row.queue == "notifications"
    assert row.key == f"sms:{message.local_id}"
    assert row.sms == message
    assert row.state == OutboxState.PENDING


def test_a_bad_mobile_is_refused():
    with pytest.raises(ValidationError) as caught:
        services.sms_send(to="0912", body=TEXT)

    assert "to" in caught.value.error_dict
    assert SmsMessage.objects.count() == 0


def _sweep_when_due(message: SmsMessage) -> None:
    """Run the outbox's sweep at the moment the message's next try is due."""
    row = OutboxJob.objects.get(sms=message)
    assert row.state == OutboxState.PENDING
    outbox.outbox_sweep(now=row.due_at)


def test_transient_failures_are_retried_then_sent(fake_sms, django_capture_on_commit_callbacks):
    fake_sms.fail_next(2, status=503)

    message = send(django_capture_on_commit_callbacks)
    assert message.status == SmsStatus.QUEUED  # waits for its retry
    _sweep_when_due(message)
    _sweep_when_due(message)

    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert message.attempts == 3
    assert "503" in message.last_error  # the last failure stays on record
    assert len(fake_sms.messages()) == 1
    assert OutboxJob.objects.get(sms=message).state == OutboxState.DONE


def test_a_permanent_failure_is_not_retried(fake_sms, django_capture_on_commit_callbacks):
    fake_sms.fail_next(1, status=418)

    message = send(django_capture_on_commit_callbacks)

    assert message.status == SmsStatus.FAILED
    assert message.attempts == 1
    assert "418" in message.last_error
    assert message.sent_at is None
    row = OutboxJob.objects.get(sms=message)
    assert row.state == OutboxState.FAILED and "418" in row.last_error


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

    with pytest.raises(services.SmsBusy):  # the outbox tries again later
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
    _sweep_when_due(message)

    message.refresh_from_db()
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

    with pytest.raises(PermanentError):  # a re-run without the job's text
        services.sms_deliver(message_id=message.pk)

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


class _Pipeline:
    """A Redis pipeline as RQ is handed one: the job's commands go when it is executed."""

    def __init__(self):
        self.executed = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def execute(self):
        self.executed += 1


class _Connection:
    def pipeline(self):
        return _Pipeline()


class _Queue:
    def __init__(self):
        self.calls = []
        self.connection = _Connection()

    def enqueue_call(self, path, args=(), kwargs=None, **options):
        self.calls.append((path, args, kwargs or {}, options))


def test_on_rq_the_outbox_row_is_handed_over_and_a_secret_never_stored(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    import django_rq

    settings.METER_JOBS_MODE = "rq"
    queue = _Queue()
    monkeypatch.setattr(django_rq, "get_queue", lambda name, **kw: queue)
    outbox._rq_queue.cache_clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            plain = services.sms_send(to="09121234567", body=TEXT)
            secret = services.sms_send(to="09121234567", body="کد ۹۹", redact=["۹۹"])
    finally:
        outbox._rq_queue.cache_clear()

    (path, args, kwargs, options), (_path, secret_args, secret_kwargs, secret_options) = queue.calls
    plain_row, secret_row = (OutboxJob.objects.get(sms=m) for m in (plain, secret))
    assert path == "apps.meter_service.jobs.outbox_run"
    assert args == (plain_row.pk,) and kwargs == {}
    assert options["timeout"] == plain_row.lease_seconds
    assert secret_args == (secret_row.pk,)
    assert secret_kwargs == {"transient": {"body": "کد ۹۹"}}
    assert secret_options["result_ttl"] == 0
    assert "۹۹" not in str(secret_row.args) + str(secret_row.kwargs)
    # Each job went to Redis in one round trip: its own pipeline, executed once.
    assert options["pipeline"] is not secret_options["pipeline"]
    assert options["pipeline"].executed == secret_options["pipeline"].executed == 1


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
        for _ in range(3):  # each try: the sweep at its due time hands it over, a worker runs it
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
            rows = OutboxJob.objects.filter(sms=message, state=OutboxState.PENDING)
            if rows.update(due_at=timezone.now()):  # the retry's time has come
                outbox.outbox_sweep(now=timezone.now() + outbox.REDISPATCH_AFTER)
    finally:
        queue.delete(delete_jobs=True)

    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert message.attempts == 3
    assert len(fake_sms.messages()) == 1
    assert OutboxJob.objects.get(sms=message).state == OutboxState.DONE
