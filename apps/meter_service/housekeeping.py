"""Purging the records that only grow: sign-in codes, their audit entries, expired sessions,
the windows of the rate limits that ended and the outbox's finished jobs.

Run every hour by the scheduler (`jobs.records_purge`); each kind keeps what its rule setting
says, and never less than what a rate limit still counts.
"""

from __future__ import annotations

import datetime
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.rule_reader import rule_in_force
from apps.meter_service.doctype.otp.events import OtpEvents
from apps.meter_service.doctype.otp.services import otp_challenges_purge
from apps.meter_service.doctype.outbox.services import outbox_jobs_purge
from apps.meter_service.limits.services import rate_counts_purge

# Audit entries of the portal's sign-in codes: kept for a while (who asked for a code from
# where), not for ever, as they name an address and a subscription.
OTP_AUDIT_EVENTS = (OtpEvents.OTP_REQUESTED, OtpEvents.OTP_VERIFIED)


def _rule(name: str) -> int:
    return int(rule_in_force(name))


def sessions_purge() -> int:
    """Delete the expired sessions kept in the database (the db and cached_db engines)."""
    engine = import_module(settings.SESSION_ENGINE)
    model = getattr(engine.SessionStore, "get_model_class", None)
    if model is None:  # sessions kept outside the database expire by themselves
        return 0
    deleted, _per_model = model().objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def records_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete old sign-in codes, their audit entries, expired sessions and finished jobs;
    return counts."""
    now = now or timezone.now()
    # The OTP limits count the codes of the last window: never purge inside it.
    otp_keep = max(
        datetime.timedelta(days=_rule("OTP_RETENTION_DAYS")),
        datetime.timedelta(seconds=_rule("OTP_WINDOW_SECONDS")),
    )
    audit_cutoff = now - datetime.timedelta(days=_rule("OTP_AUDIT_RETENTION_DAYS"))
    audit_deleted, _per_model = DocumentEvent.objects.filter(
        event_type__in=OTP_AUDIT_EVENTS, at__lt=audit_cutoff
    ).delete()
    return {
        "otp_challenges": otp_challenges_purge(before=now - otp_keep),
        "otp_audit_events": audit_deleted,
        "sessions": sessions_purge(),
        "rate_counts": rate_counts_purge(before=now),
        "outbox_jobs": outbox_jobs_purge(
            before=now - datetime.timedelta(days=_rule("OUTBOX_RETENTION_DAYS"))
        ),
    }
