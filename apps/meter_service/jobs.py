"""Background jobs: thin functions that take ids and call the service of the same name.

Services hand jobs to `enqueue()` (doctype/outbox; re-exported here for the doors), naming
them by function name so the domain never imports this module. It writes them as outbox
rows in the caller's transaction: a committed change always has its jobs on record, a rolled-back
one has none. After the commit the row goes to an RQ queue for the worker when Redis is
configured; on the embedded site (no Redis) it runs in a thread of the web process; tests may
run it inline. Retries, and rows whose hand-over or worker was lost, are the outbox's sweep.
"""

from __future__ import annotations

import logging

from django.conf import settings

from apps.meter_service import housekeeping, scheduled_reports
from apps.meter_service.dashboards import rollup
from apps.meter_service.dashboards.forms import default_filter
from apps.meter_service.dashboards.selectors import dashboard_cached
from apps.meter_service.doctype.complaint import mail as complaint_mail
from apps.meter_service.doctype.complaint import services as complaint_services
from apps.meter_service.doctype.import_batch import services as import_batch_services
from apps.meter_service.doctype.notification import services as notification_services
from apps.meter_service.doctype.outbox.services import enqueue, jobs_mode
from apps.meter_service.doctype.outbox.services import outbox_run as run
from apps.meter_service.doctype.outbox.services import outbox_sweep as sweep
from apps.meter_service.doctype.payment import services as payment_services
from apps.meter_service.doctype.printout import services as printout_services
from apps.meter_service.doctype.printout.models import PrintoutKind
from apps.meter_service.doctype.sla import services as sla_services
from apps.meter_service.engine import services as engine_services

__all__ = ["enqueue", "jobs_mode"]  # re-exported for the doors; the job functions follow

logger = logging.getLogger("meter_service.jobs")

# Cache key of the last heartbeat job a worker ran (read back by the health check).
HEARTBEAT_KEY = "meter:worker-heartbeat"


# --- job functions -------------------------------------------------------------------------


def outbox_run(job_id: int, transient: dict | None = None) -> str:
    """Run one outbox row (what RQ is handed): claimed first, so it runs once."""

    return run(job_id, transient=transient)


def outbox_sweep() -> dict[str, int]:
    """Hand over again the outbox rows that are due (the scheduler runs this each tick)."""

    return sweep()


def send_email(
    *, subject: str, body: str, to: list[str], headers: dict[str, str] | None = None
) -> None:
    """Send one email; a mail server failure raises, so the outbox tries again. `headers`:
    a complaint's Message-ID and Reply-To (doctype/complaint/mail_threads.py)."""
    from django.core.mail import EmailMessage

    headers = dict(headers or {})
    reply_to = headers.pop("Reply-To", "")
    EmailMessage(
        subject=subject,
        body=body,
        to=to,
        headers=headers or None,
        reply_to=[reply_to] if reply_to else None,
    ).send()


send_email.outbox_lease_seconds = 120  # type: ignore[attr-defined]


def import_batch_validate(batch_id: int) -> None:

    import_batch_services.import_batch_validate(batch_id=batch_id)


def import_batch_apply(batch_id: int) -> None:

    import_batch_services.import_batch_apply(batch_id=batch_id)


def heartbeat() -> str:
    """Record that the worker runs jobs; the health check reads it back."""
    from django.core.cache import cache
    from django.utils import timezone

    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp


def claim_notify(claim_id: int, event: str, *later_events: str, facts: dict | None = None) -> None:
    """Tell the subscriber about claim events (an SMS each, in order), outside the request
    that caused them. `facts`: what the process step knew (JSON), for every event given."""

    for each in (event, *later_events):
        notification_services.notify_claim(claim_id=claim_id, event=each, facts=facts)
    # The documents these events make or change are printed ahead, each in a job of its
    # own (a failed print does not resend the SMS): the next download serves the file.
    if getattr(settings, "METER_PRINT_AHEAD", True):
        kinds = {PRINT_AHEAD[each] for each in (event, *later_events) if each in PRINT_AHEAD}
        for kind in sorted(kinds):
            enqueue("printout_prepare", claim_id, kind, key=f"printout:{claim_id}:{kind}")


# Its effects are rows (the SMS and their own outbox rows): all in one transaction with the
# job's "done" mark, so a worker killed between two events re-runs it without texting twice.
claim_notify.outbox_atomic = True  # type: ignore[attr-defined]
claim_notify.outbox_lease_seconds = 120  # type: ignore[attr-defined]


# The claim events after which a document is printed ahead, and which one.
PRINT_AHEAD = {
    "claim_filed": PrintoutKind.RECEIPT,
    "claim_filed_next_bill": PrintoutKind.RECEIPT,
    "claim_paid": PrintoutKind.RECEIPT,
    "test_result": PrintoutKind.TEST_REPORT,
    "correction_approved": PrintoutKind.CORRECTION_STATEMENT,
}


def printout_prepare(claim_id: int, kind: str) -> int:
    """Print a claim's document (receipt, test report, statement) ahead and store it."""

    return printout_services.printout_prepare(claim_id=claim_id, kind=kind)


printout_prepare.outbox_lease_seconds = 120  # type: ignore[attr-defined]


def process_run_timers() -> list[int]:
    """Fire the process timers that are due (payment deadlines, SLA watch, access waits)."""

    return engine_services.process_run_timers()


def sla_refresh_states() -> int:
    """Store each open claim's service-level state for the inbox and the dashboards."""

    return sla_services.sla_refresh_states()


def sms_deliver(message_id: int, body: str | None = None) -> None:
    """Hand one logged SMS to the provider; `body` only when the log masks the text."""

    notification_services.sms_deliver(message_id=message_id, body=body)


def sms_send_held() -> int:
    """Send the SMS held while the site named no provider, once it names one."""

    return notification_services.sms_release_held()


def payments_reconcile() -> dict[str, int]:
    """Settle online payments whose bank callback never arrived."""

    return payment_services.payments_reconcile()


def records_purge() -> dict[str, int]:
    """Delete what only grows: old sign-in codes, their audit entries, expired sessions."""

    return housekeeping.records_purge()


def complaint_mail_poll() -> int:
    """Thread the replies waiting in the support mailbox into their complaints."""

    return complaint_mail.complaint_mail_poll()


def complaints_run_timers() -> dict[str, int]:
    """Escalate complaints past their answer deadline; close answered ones left unanswered."""

    return {
        "escalated": complaint_services.complaints_escalate_overdue(),
        "closed": complaint_services.complaints_close_resolved(),
    }


def dashboard_refresh() -> dict[str, object]:
    """Bring the dashboards' daily roll-up up to date (building it the first time), then
    recompute the default view, so the manager's first page comes from the cache."""

    days = rollup.refresh(budget_seconds=rollup.job_budget_seconds())
    if rollup.state() is None:
        # A first build goes on over several runs; the default view read live meanwhile
        # would hold the queue for what the budget spared it.
        return {"days": days, "as_of": None}
    _dashboard, as_of = dashboard_cached(default_filter(), refresh=True)
    return {"days": days, "as_of": as_of.isoformat()}


def scheduled_reports_send() -> dict[str, int]:
    """Mail the scheduled reports that are due, each recipient once a period."""

    return scheduled_reports.send_due()
