"""The outbox: jobs written in the change's transaction, run once, retried, swept, re-sent."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.notification import services as sms_services
from apps.meter_service.doctype.notification.models import SmsMessage, SmsStatus
from apps.meter_service.doctype.outbox import services as outbox
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState
from apps.meter_service.integrations.sms import adapter

pytestmark = pytest.mark.django_db

TEXT = "شرکت گاز: درخواست شما ثبت شد."


@pytest.fixture(autouse=True)
def _templates(db):
    sms_services.message_templates_ensure_defaults()


def _send(capture, **fields) -> SmsMessage:
    with capture(execute=True):
        message = sms_services.sms_send(**{"to": "09121234567", "body": TEXT, **fields})
    message.refresh_from_db()
    return message


# --- in the change's transaction ----------------------------------------------------------


def test_a_filing_writes_its_jobs_in_its_own_transaction(
    fake_sms, make_claim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        claim = make_claim()
        [row] = OutboxJob.objects.filter(path="apps.meter_service.jobs.claim_notify")
        assert row.args[0] == claim.pk and row.state == OutboxState.PENDING
        assert fake_sms.messages() == []  # nothing runs before the commit
    with django_capture_on_commit_callbacks(execute=True):  # the SMS's own hand-over
        for hook in hooks:
            hook()

    row.refresh_from_db()
    assert row.state == OutboxState.DONE and row.attempts == 1
    [sms] = SmsMessage.objects.filter(claim=claim)
    assert sms.status == SmsStatus.SENT
    assert OutboxJob.objects.get(sms=sms).state == OutboxState.DONE


def test_a_rolled_back_change_leaves_no_row_and_no_effect(
    fake_sms, make_claim, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        make_claim()
        sms_services.sms_send(to="09121234567", body=TEXT)
        assert OutboxJob.objects.count() == 2
        1 / 0  # noqa: B018

    assert not Claim.objects.exists()
    assert not OutboxJob.objects.exists()
    assert not SmsMessage.objects.exists()
    outbox.outbox_sweep(now=timezone.now() + datetime.timedelta(days=1))
    assert fake_sms.messages() == []


def test_the_same_key_is_one_effect_until_it_is_done(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = outbox.outbox_add("apps.meter_service.jobs.heartbeat", key="beat:1")
        again = outbox.outbox_add("apps.meter_service.jobs.heartbeat", key="beat:1")
    assert first.pk == again.pk and OutboxJob.objects.count() == 1

    assert outbox.outbox_run(first.pk) == OutboxState.DONE
    assert outbox.outbox_run(first.pk) == ""  # claimed once: a second run does nothing
    row = OutboxJob.objects.get(pk=first.pk)
    assert (row.state, row.attempts) == (OutboxState.DONE, 1)


# --- a worker killed mid-job ------------------------------------------------------------


def _left_running(message: SmsMessage, *, sms_status: str, ago_minutes: int = 10) -> OutboxJob:
    """What a worker killed mid-job leaves: the row running, its lease expired."""
    long_ago = timezone.now() - datetime.timedelta(minutes=ago_minutes)
    SmsMessage.objects.filter(pk=message.pk).update(
        status=sms_status, attempts=1, last_attempt_at=long_ago
    )
    row = OutboxJob.objects.get(sms=message)
    OutboxJob.objects.filter(pk=row.pk).update(
        state=OutboxState.RUNNING,
        attempts=1,
        started_at=long_ago,
        lease_until=long_ago,
        dispatched_at=long_ago,
    )
    return row


def test_a_worker_killed_after_the_provider_took_the_sms_texts_once(fake_sms):
    message = sms_services.sms_send(to="09121234567", body=TEXT)  # hooks not run
    # The worker reached the provider, then died before writing down the answer.
    adapter.send_sms(to=message.to, body=message.body, local_id=message.local_id)
    row = _left_running(message, sms_status=SmsStatus.SENDING)

    assert outbox.outbox_sweep() == {"pending": 0, "expired": 1}

    message.refresh_from_db(), row.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.attempts == 2
    assert row.state == OutboxState.DONE and row.attempts == 2
    # Asked again with the same localid; the provider kept one message.
    assert fake_sms.requests(message.local_id) == 2
    assert len(fake_sms.messages()) == 1


def test_a_worker_killed_after_marking_the_sms_sent_does_not_send_again(fake_sms):
    message = sms_services.sms_send(to="09121234567", body=TEXT)
    adapter.send_sms(to=message.to, body=message.body, local_id=message.local_id)
    row = _left_running(message, sms_status=SmsStatus.SENT)

    outbox.outbox_sweep()

    row.refresh_from_db()
    assert row.state == OutboxState.DONE
    assert fake_sms.requests(message.local_id) == 1  # our code did not ask twice
    assert len(fake_sms.messages()) == 1


def test_a_running_job_within_its_lease_is_left_alone(fake_sms):
    message = sms_services.sms_send(to="09121234567", body=TEXT)
    row = OutboxJob.objects.get(sms=message)
    OutboxJob.objects.filter(pk=row.pk).update(
        state=OutboxState.RUNNING,
        attempts=1,
        lease_until=timezone.now() + datetime.timedelta(minutes=1),
    )

    assert outbox.outbox_sweep() == {"pending": 0, "expired": 0}
    assert outbox.outbox_run(row.pk) == ""
    assert fake_sms.requests(message.local_id) == 0


def test_an_atomic_job_killed_halfway_leaves_nothing_done(
    fake_sms, make_claim, monkeypatch, django_capture_on_commit_callbacks
):
    """claim_notify writes all its SMS with its own "done": a crash between two events
    rolls back the first, and the re-run texts each event once."""
    with django_capture_on_commit_callbacks(execute=False):
        claim = make_claim()
        row = outbox.outbox_add(
            "apps.meter_service.jobs.claim_notify",
            [claim.pk, "claim_paid", "claim_closed"],
            queue="notifications",
        )
    real = sms_services.notify_claim
    calls = []

    def dies_on_the_second(**kwargs):
        calls.append(kwargs["event"])
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(sms_services, "notify_claim", dies_on_the_second)
    with pytest.raises(SystemExit):
        outbox.outbox_run(row.pk)
    assert not SmsMessage.objects.filter(claim=claim, template_key="claim_paid").exists()

    monkeypatch.setattr(sms_services, "notify_claim", real)
    row.refresh_from_db()
    assert row.state == OutboxState.RUNNING  # as a killed worker leaves it
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_sweep(now=row.lease_until + outbox.REDISPATCH_AFTER)

    keys = SmsMessage.objects.filter(claim=claim).exclude(template_key="claim_filed")
    assert sorted(keys.values_list("template_key", flat=True)) == ["claim_closed", "claim_paid"]


# --- retries ------------------------------------------------------------------------------


def test_retries_back_off_over_hours_and_end_failed_with_the_reason(
    fake_sms, django_capture_on_commit_callbacks
):
    fake_sms.fail_next(100, status=503)
    message = _send(django_capture_on_commit_callbacks)
    row = OutboxJob.objects.get(sms=message)
    queued_at = row.created_at

    waits = []
    while row.state == OutboxState.PENDING:
        waits.append(round((row.due_at - row.started_at).total_seconds()))
        outbox.outbox_sweep(now=row.due_at)
        row.refresh_from_db()

    assert waits[:8] == [30, 60, 120, 240, 480, 960, 1800, 1800]  # the defaults: 30 s .. 30 min
    assert set(waits[6:]) == {1800}
    assert row.state == OutboxState.FAILED
    assert row.attempts == len(waits) + 1
    assert (row.finished_at - queued_at) > datetime.timedelta(hours=5, minutes=30)
    assert (row.finished_at - queued_at) <= datetime.timedelta(hours=6)
    assert row.last_error.startswith(f"retries spent after {row.attempts} tries: ")
    assert "503" in row.last_error
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED and message.last_error == row.last_error
    assert fake_sms.messages() == []


def test_the_backoff_follows_the_rule_settings(settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "OUTBOX_RETRY_FIRST_SECONDS": 5,
        "OUTBOX_RETRY_MAX_SECONDS": 12,
    }
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 12, 12]


def test_a_job_left_pending_by_a_lost_hand_over_is_swept(
    fake_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the commit hook never ran
        message = sms_services.sms_send(to="09121234567", body=TEXT)

    assert outbox.outbox_sweep() == {"pending": 0, "expired": 0}  # handed over just now
    later = timezone.now() + outbox.REDISPATCH_AFTER + datetime.timedelta(seconds=1)
    assert outbox.outbox_sweep(now=later) == {"pending": 1, "expired": 0}

    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert len(fake_sms.messages()) == 1


# --- the desk -----------------------------------------------------------------------------


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    client.cookies["meter_language"] = "en"
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_desk_lists_the_undelivered_and_resends_what_it_can(
    desk, fake_sms, django_capture_on_commit_callbacks
):
    fake_sms.fail_next(1, status=418)
    refused = _send(django_capture_on_commit_callbacks, to="09121234561")
    fake_sms.fail_next(1, status=418)
    code = _send(django_capture_on_commit_callbacks, to="09121234562", body="کد ۴۴", redact=["۴۴"])
    with django_capture_on_commit_callbacks(execute=False):
        stuck = sms_services.sms_send(to="09121234563", body=TEXT)
        busy = sms_services.sms_send(to="09121234564", body=TEXT)
    OutboxJob.objects.filter(sms=stuck).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    OutboxJob.objects.filter(sms=busy).update(
        state=OutboxState.RUNNING, lease_until=timezone.now() + datetime.timedelta(minutes=1)
    )
    delivered = _send(django_capture_on_commit_callbacks, to="09121234565")
    url = reverse("admin:meter_service_outboxjob_changelist")

    page = desk.get(url)
    assert page.status_code == 200
    shown = {row.sms_id for row in page.context["cl"].result_list}
    assert shown == {refused.pk, code.pk, stuck.pk, busy.pk}  # not the delivered one
    text = page.content.decode()
    assert "[418]" in text and "Waiting, stuck" in text
    stuck_only = desk.get(url, {"stuck": "yes"}).context["cl"].result_list
    assert [row.sms_id for row in stuck_only] == [stuck.pk]

    ids = list(OutboxJob.objects.exclude(sms=delivered).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url, {"action": "send_again", "_selected_action": ids}, follow=True)

    assert _messages(response) == [
        "Queued again: 2.",
        "Not queued again: 2 (SMS with a sign-in code, whose text is not kept (the subscriber "
        "asks for a new code): 1; being run now, within their time: 1).",
    ]
    refused.refresh_from_db(), stuck.refresh_from_db()
    assert refused.status == SmsStatus.SENT and stuck.status == SmsStatus.SENT
    assert {m["receptor"] for m in fake_sms.messages()} == {
        "09121234561",
        "09121234563",
        "09121234565",
    }


def test_the_sms_log_resend_says_what_it_skipped(
    desk, fake_sms, django_capture_on_commit_callbacks
):
    fake_sms.fail_next(1, status=418)
    refused = _send(django_capture_on_commit_callbacks, to="09121234561")
    sent = _send(django_capture_on_commit_callbacks, to="09121234562")
    url = reverse("admin:meter_service_smsmessage_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            url, {"action": "send_again", "_selected_action": [refused.pk, sent.pk]}, follow=True
        )

    assert _messages(response) == [
        "Queued again: 1.",
        "Not queued again: 1 (SMS already sent: 1).",
    ]
    refused.refresh_from_db()
    assert refused.status == SmsStatus.SENT and refused.attempts == 2


# --- /health/ -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # each health check reads on its own connection
def test_health_reports_the_backlog(fake_sms, django_capture_on_commit_callbacks):
    assert Client().get("/health/").json()["checks"]["outbox"]["status"] == "ok"
    fake_sms.fail_next(1, status=418)
    _send(django_capture_on_commit_callbacks, to="09121234561")
    # A transactional test commits at once; the row is put back as one whose hand-over was
    # lost half an hour ago (the health checks read on their own connections).
    waiting = sms_services.sms_send(to="09121234562", body=TEXT)
    OutboxJob.objects.filter(sms=waiting).update(
        state=OutboxState.PENDING, created_at=timezone.now() - datetime.timedelta(minutes=30)
    )

    response = Client().get("/health/")

    assert response.status_code == 200  # a warning: the site serves
    part = response.json()["checks"]["outbox"]
    assert part["status"] == "warning"
    assert (part["pending"], part["failed"], part["stuck"]) == (1, 1, 1)
    assert 30 * 60 <= part["oldest_pending_seconds"] < 40 * 60
    assert part["warning"] == "undelivered messages or jobs: 1 failed, 1 stuck"
