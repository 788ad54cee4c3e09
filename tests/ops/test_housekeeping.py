"""The hourly purge of records that only grow: old sign-in codes, their audit entries and
expired sessions go; what a rate limit still counts, and everything else, stays."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.meter_service import jobs
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState
from apps.meter_service.housekeeping import records_purge

DAY = datetime.timedelta(days=1)


def _challenge(age: datetime.timedelta) -> OtpChallenge:
    asked = timezone.now() - age
    return OtpChallenge.objects.create(
        identifier="1234567890",
        code_hash="x",
        created_at=asked,
        expires_at=asked + datetime.timedelta(minutes=2),
    )


def _audit(event_type: str, age: datetime.timedelta) -> DocumentEvent:
    event = DocumentEvent.objects.create(
        content_type=ContentType.objects.get_for_model(OtpChallenge),
        object_id="1",
        object_repr="code",
        event_type=event_type,
    )
    DocumentEvent.objects.filter(pk=event.pk).update(at=timezone.now() - age)
    return event


def _session(expires_in: datetime.timedelta) -> Session:
    return Session.objects.create(
        session_key=f"k{expires_in.total_seconds():+.0f}".ljust(32, "0"),
        session_data="e30",
        expire_date=timezone.now() + expires_in,
    )


def test_old_codes_their_audit_and_expired_sessions_go_the_rest_stays(db, settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "OTP_RETENTION_DAYS": 30,
        "OTP_AUDIT_RETENTION_DAYS": 180,
    }
    old_code, recent_code = _challenge(31 * DAY), _challenge(29 * DAY)
    old_audit = _audit("otp_requested", 181 * DAY)
    recent_audit = _audit("otp_verified", 179 * DAY)
    other_audit = _audit("claim_filed", 400 * DAY)  # only sign-in audit is purged
    expired, live = _session(-DAY), _session(DAY)

    assert records_purge() == {
        "otp_challenges": 1,
        "otp_audit_events": 1,
        "sessions": 1,
        "rate_counts": 0,
        "outbox_jobs": 0,
    }

    assert set(OtpChallenge.objects.values_list("pk", flat=True)) == {recent_code.pk}
    assert set(DocumentEvent.objects.values_list("pk", flat=True)) == {
        recent_audit.pk,
        other_audit.pk,
    }
    assert set(Session.objects.values_list("pk", flat=True)) == {live.pk}
    assert not OtpChallenge.objects.filter(pk=old_code.pk).exists()
    assert not DocumentEvent.objects.filter(pk=old_audit.pk).exists()
    assert not Session.objects.filter(pk=expired.pk).exists()


def test_codes_inside_the_otp_window_are_kept_whatever_the_retention(db, settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "OTP_RETENTION_DAYS": 0,
        "OTP_WINDOW_SECONDS": 3600,
    }
    counted = _challenge(datetime.timedelta(minutes=30))
    _challenge(datetime.timedelta(hours=2))

    assert records_purge()["otp_challenges"] == 1
    assert list(OtpChallenge.objects.values_list("pk", flat=True)) == [counted.pk]


def _job(state: str, finished_age: datetime.timedelta | None) -> OutboxJob:
    now = timezone.now()
    return OutboxJob.objects.create(
        key=f"k-{state}-{finished_age}",
        path="apps.meter_service.jobs.records_purge",
        state=state,
        due_at=now - 40 * DAY,
        give_up_at=now - 39 * DAY,
        finished_at=None if finished_age is None else now - finished_age,
    )


def test_finished_jobs_go_after_their_retention_failed_and_waiting_ones_stay(db, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "OUTBOX_RETENTION_DAYS": 30}
    old_done, recent_done = _job(OutboxState.DONE, 31 * DAY), _job(OutboxState.DONE, 29 * DAY)
    old_failed = _job(OutboxState.FAILED, 60 * DAY)  # staff still have to act on it
    waiting = _job(OutboxState.PENDING, None)

    assert records_purge()["outbox_jobs"] == 1

    assert not OutboxJob.objects.filter(pk=old_done.pk).exists()
    assert set(OutboxJob.objects.values_list("pk", flat=True)) == {
        recent_done.pk,
        old_failed.pk,
        waiting.pk,
    }


def test_the_scheduler_runs_the_purge_every_hour():
    job = jobs.records_purge.__module__ + "." + jobs.records_purge.__qualname__
    assert {"path": job, "every_seconds": 3600} in settings.METER_PERIODIC_JOBS


def test_rate_counts_open_count_and_end_their_windows(db):
    from apps.meter_service.limits.models import RateCount
    from apps.meter_service.limits.services import (
        rate_count_clear,
        rate_count_hit,
        rate_counts,
        rate_counts_purge,
    )

    assert [rate_count_hit(key="k", window_seconds=60) for _ in range(3)] == [1, 2, 3]
    assert rate_counts(keys=["k", "other"]) == {"k": 3}
    # A window that ended counts again from one, and the purge takes the ended ones.
    RateCount.objects.filter(key="k").update(expires_at=timezone.now() - DAY)
    assert rate_counts(keys=["k"]) == {}
    assert rate_count_hit(key="k", window_seconds=60) == 1
    rate_count_hit(key="gone", window_seconds=60)
    RateCount.objects.filter(key="gone").update(expires_at=timezone.now() - DAY)
    assert rate_counts_purge() == 1
    rate_count_clear(key="k")
    assert not RateCount.objects.exists()
