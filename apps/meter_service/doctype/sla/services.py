"""Actions on service-level clocks and holidays.

The process engine starts, pauses, resumes and stops a claim's clock and asks for warnings
and escalations at the due times it reads from the selectors; a periodic job refreshes the
stored states. Every function takes `now` so callers (and tests) control the clock.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.meter_service.core.display import code_text
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_datetime, parse_date, use_jalali
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.outbox.services import enqueue
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla import events, rules, selectors
from apps.meter_service.doctype.sla.calendar import (
    WorkCalendar,
    load_calendar,
    working_seconds_between,
)
from apps.meter_service.doctype.sla.models import Holiday, SlaClock, SlaState
from apps.meter_service.reference_data import forget_reference_data

logger = logging.getLogger("meter_service.sla")

HOLIDAYS_FIXTURE = "0003_holidays_1405.csv"
STATE_FIELDS = ["state", "state_at", "breached_at"]


def _calendar_for(*clocks: SlaClock, now: datetime.datetime) -> WorkCalendar:
    """Load the holidays once for the span the clocks' open segments cover."""
    starts = [c.running_since for c in clocks if c.running_since is not None]
    since = min([now, *starts]).astimezone(timezone.get_default_timezone()).date()
    return load_calendar(since=since)


def _apply_state(clock: SlaClock, now: datetime.datetime, calendar: WorkCalendar) -> bool:
    """Set the clock's state as of `now` (not saved); return True when the state changed.

    Call it before closing a running segment, so a breach inside that segment is dated to
    the instant it happened rather than to the pause.
    """
    state = selectors.sla_state_at(clock, now, calendar=calendar)
    changed = state != clock.state
    clock.state = state
    clock.state_at = now
    if state == SlaState.BREACHED and clock.breached_at is None:
        due = selectors.sla_due_at(clock, 1.0, now, calendar=calendar)
        clock.breached_at = min(due, now) if due is not None else now
    return changed


def _close_segment(clock: SlaClock, now: datetime.datetime, calendar: WorkCalendar) -> None:
    if clock.running_since is not None:
        clock.worked_seconds += working_seconds_between(clock.running_since, now, calendar=calendar)
        clock.running_since = None


def sla_clock_start(
    *, claim: Claim, now: datetime.datetime | None = None, running: bool = True
) -> SlaClock:
    """Start the claim's clock at `now`, running or paused; return the existing clock if there
    is one.

    The target is copied from SLA_TARGET_HOURS now, so a later change of the setting does
    not move running claims. The one-to-one key settles two concurrent starts. A claim's
    process starts its clock with sla_clock_new instead, in the filing's transaction.
    """
    now = now or timezone.now()
    fields = _start_fields(now, running)
    clock, _created = SlaClock.objects.get_or_create(claim_id=claim.pk, defaults=fields)
    return clock


def _start_fields(now: datetime.datetime, running: bool) -> dict[str, Any]:
    return {
        "target_seconds": rules.target_seconds(),
        "started_at": now,
        "running_since": now if running else None,
        "paused": not running,
        "state": SlaState.ON_TRACK,
        "state_at": now,
    }


def sla_clock_new(*, claim: Claim, now: datetime.datetime, running: bool) -> SlaClock:
    """The clock of a claim filed in this transaction, started at `now` but not saved yet
    (its caller saves it once it knows whether it runs)."""
    return SlaClock(claim_id=claim.pk, **_start_fields(now, running))


def sla_clock_set_start_state(*, clock: SlaClock, running: bool) -> SlaClock:
    """Run or pause a clock that has not moved since its start (not saved)."""
    clock.running_since = clock.started_at if running else None
    clock.paused = not running
    return clock


@transaction.atomic(savepoint=False)  # a process step's: no savepoint of its own to pay for
def sla_clock_set_running(
    *, claim: Claim, running: bool, now: datetime.datetime | None = None
) -> SlaClock:
    """Resume (running=True) or pause (running=False) the claim's clock.

    Pausing adds the working time of the segment that ends. Asking for the state the clock is
    already in changes nothing, and so does anything asked of a stopped clock. Raises
    SlaClock.DoesNotExist when the claim's clock was never started.
    """
    now = now or timezone.now()
    clock = SlaClock.objects.select_for_update().get(claim_id=claim.pk)
    if clock.stopped_at is not None or clock.is_running == running:
        return clock
    calendar = _calendar_for(clock, now=now)
    _apply_state(clock, now, calendar)
    if running:
        clock.running_since = now
        clock.paused = False
    else:
        _close_segment(clock, now, calendar)
        clock.paused = True
    clock.save(update_fields=["running_since", "paused", "worked_seconds", *STATE_FIELDS])
    return clock


@transaction.atomic(savepoint=False)  # a process step's: no savepoint of its own to pay for
def sla_clock_stop(*, claim: Claim, now: datetime.datetime | None = None) -> SlaClock | None:
    """Stop the claim's clock for good, keeping its final state; None if it never started.

    Stopping a stopped clock changes nothing.
    """
    now = now or timezone.now()
    clock = SlaClock.objects.select_for_update().filter(claim_id=claim.pk).first()
    if clock is None or clock.stopped_at is not None:
        return clock
    calendar = _calendar_for(clock, now=now)
    _apply_state(clock, now, calendar)
    _close_segment(clock, now, calendar)
    clock.paused = False
    clock.stopped_at = now
    clock.save(
        update_fields=["running_since", "paused", "worked_seconds", "stopped_at", *STATE_FIELDS]
    )
    return clock


# Where the refresh stopped, when a run ran out of its budget (the last clock's id done).
REFRESH_CURSOR_KEY = "meter:sla:refresh_after"


def sla_refresh_states(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    budget_seconds: float | None = None,
) -> int:
    """Recompute the stored state of every clock not stopped; return how many changed.

    In batches of `batch_size` clocks (SLA_REFRESH_BATCH) in id order, each its own short
    transaction: the clocks whose state changes are locked and saved (a pause may have come
    in meanwhile), the others just get their state_at moved on. A run stops after the batch
    that ends past `budget_seconds` (JOB_RUN_BUDGET_SECONDS) and the next run goes on from
    there, so a first refresh after a large load never holds the job queue for minutes.
    """
    now = now or timezone.now()
    batch_size = max(1, int(batch_size or rule_value("SLA_REFRESH_BATCH")))
    if budget_seconds is None:
        budget_seconds = float(rule_value("JOB_RUN_BUDGET_SECONDS"))
    deadline = time.monotonic() + budget_seconds
    began = after = int(cache.get(REFRESH_CURSOR_KEY) or 0)
    wrapped = False
    changed = 0
    while True:
        clocks = SlaClock.objects.filter(stopped_at__isnull=True, pk__gt=after)
        if wrapped:
            clocks = clocks.filter(pk__lte=began)  # the pass ends where this run began
        batch = list(clocks.order_by("pk")[:batch_size])
        if not batch and began and not wrapped:
            # Past the last live clock after beginning where an earlier run stopped: go on
            # from the first clock, up to where this run began. Each clock once a run.
            wrapped, after = True, 0
            continue
        if batch:
            changed += _refresh_batch(batch, now)
            after = batch[-1].pk
        if len(batch) < batch_size:
            cache.delete(REFRESH_CURSOR_KEY)  # a whole pass done: the next run starts over
            return changed
        if time.monotonic() >= deadline:
            cache.set(REFRESH_CURSOR_KEY, after, timeout=None)
            return changed


def _refresh_batch(batch: list[SlaClock], now: datetime.datetime) -> int:
    calendar = _calendar_for(*batch, now=now)
    moved = {c.pk for c in batch if selectors.sla_state_at(c, now, calendar=calendar) != c.state}
    changed = 0
    with transaction.atomic():
        for clock in SlaClock.objects.select_for_update().filter(pk__in=moved).order_by("pk"):
            if clock.stopped_at is not None:
                continue
            if _apply_state(clock, now, calendar):
                changed += 1
            clock.save(update_fields=STATE_FIELDS)
        SlaClock.objects.filter(
            pk__in=[c.pk for c in batch if c.pk not in moved],
            stopped_at__isnull=True,
            state_at__lt=now,
        ).update(state_at=now)
    return changed


# --- warnings and escalations --------------------------------------------------------------


def _duration(seconds: int) -> str:
    """Return working time as hours and minutes in the active language."""
    hours, rest = divmod(max(seconds, 0), 3600)
    text = _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest // 60}
    return to_persian_digits(text) if use_jalali() else text


def _recipients(roles: list[str]) -> list[tuple[str, str]]:
    """Return (username, email) of the active users holding any of the roles, with an email."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )
    return list(users.values_list("username", "email"))


def _warning_message(
    clock: SlaClock, worked: int, now: datetime.datetime, calendar: WorkCalendar
) -> tuple[str, str]:
    code = code_text(clock.claim.tracking_code)  # in order inside the Persian sentence
    due = selectors.sla_due_at(clock, 1.0, now, calendar=calendar)
    subject = _("Claim %(code)s is at risk of missing its service-level target") % {"code": code}
    body = _(
        "Meter test claim %(code)s has used %(used)s of working time out of its "
        "service-level target of %(target)s. Time left: %(left)s; the target falls due "
        "at %(due)s."
    ) % {
        "code": code,
        "used": _duration(worked),
        "target": _duration(clock.target_seconds),
        "left": _duration(clock.target_seconds - worked),
        "due": format_datetime(due),
    }
    return subject, body


def _escalation_message(clock: SlaClock, worked: int) -> tuple[str, str]:
    code = code_text(clock.claim.tracking_code)  # in order inside the Persian sentence
    subject = _("Claim %(code)s has missed its service-level target") % {"code": code}
    body = _(
        "Meter test claim %(code)s has missed its service-level target of %(target)s of "
        "working time. Overdue by: %(overdue)s."
    ) % {
        "code": code,
        "target": _duration(clock.target_seconds),
        "overdue": _duration(worked - clock.target_seconds),
    }
    return subject, body


def _notify_at_threshold(
    *, claim: Claim, now: datetime.datetime | None, escalate: bool, roles: list[str]
) -> bool:
    now = now or timezone.now()
    clock = (
        SlaClock.objects.select_for_update()
        .select_related("claim")
        .filter(claim_id=claim.pk)
        .first()
    )
    if clock is None or clock.stopped_at is not None:
        return False
    calendar = _calendar_for(clock, now=now)
    fraction = 1.0 if escalate else rules.at_risk_percent() / 100
    worked = selectors.sla_worked_seconds(clock, now, calendar=calendar)
    if worked < selectors.seconds_for(clock, fraction):
        return False  # not yet: a pause has moved the due time on
    _apply_state(clock, now, calendar)
    stamp = "escalated_at" if escalate else "warned_at"
    if getattr(clock, stamp) is not None:
        clock.save(update_fields=STATE_FIELDS)
        return True  # told once already
    setattr(clock, stamp, now)
    clock.save(update_fields=[stamp, *STATE_FIELDS])
    recipients = _recipients(roles)
    usernames = [username for username, _email in recipients]
    if escalate:
        events.sla_escalated_event(claim=clock.claim, recipients=usernames, worked_seconds=worked)
    else:
        events.sla_warned_event(
            claim=clock.claim, roles=roles, recipients=usernames, worked_seconds=worked
        )
    if not recipients:
        logger.warning("no one to tell about a service-level threshold", extra={"roles": roles})
        return True
    # Written in the site's language: staff share one desk language, not one each.
    with translation.override(settings.LANGUAGE_CODE):
        if escalate:
            subject, body = _escalation_message(clock, worked)
        else:
            subject, body = _warning_message(clock, worked, now, calendar)
    # An outbox row in this transaction: sent after the commit, retried if the mail server
    # is down.
    enqueue(
        "send_email",
        subject=subject,
        body=body,
        to=[email for _name, email in recipients],
        queue="notifications",
    )
    return True


@transaction.atomic
def sla_warn(*, claim: Claim, roles: list[str], now: datetime.datetime | None = None) -> bool:
    """Warn the users of `roles` once the claim's clock has used the at-risk share.

    Returns True when the clock really has reached SLA_AT_RISK_PERCENT of its target at
    `now` (whether or not this call was the one that warned), False otherwise, for instance
    when a pause moved the due time on, or the clock is stopped. The first True sends one
    email to all those users, stamps warned_at and records an audit event on the claim.
    """
    return _notify_at_threshold(claim=claim, now=now, escalate=False, roles=list(roles))


@transaction.atomic
def sla_escalate(*, claim: Claim, now: datetime.datetime | None = None) -> bool:
    """Tell the service managers once the claim's clock has used its whole target.

    Returns True when the target really is used up at `now`, False otherwise (see sla_warn);
    the first True sends one email, stamps escalated_at and records an audit event.
    """
    return _notify_at_threshold(claim=claim, now=now, escalate=True, roles=[rules.ESCALATION_ROLE])


# --- holidays ------------------------------------------------------------------------------


@transaction.atomic
def holiday_save(*, holiday: Holiday | None = None, actor: Actor = None, **fields: Any) -> Holiday:
    """Create or change a holiday (from the desk), with an audit event."""
    created = holiday is None
    holiday = holiday or Holiday()
    for name, value in fields.items():
        setattr(holiday, name, value)
    holiday.full_clean()
    holiday.save()
    events.holiday_saved_event(holiday=holiday, actor=actor, created=created, fields=fields)
    return holiday


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes"}


def read_holiday_rows(text: str) -> list[dict[str, Any]]:
    """Parse the holiday CSV (jalali_date,name_fa,name_en[,half_day]; '#' lines are notes)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = []
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        rows.append(
            {
                "date": parse_date(row["jalali_date"]),
                "name": row["name_fa"].strip(),
                "name_en": (row.get("name_en") or "").strip(),
                "half_day": _truthy(row.get("half_day")),
            }
        )
    return rows


def holidays_load(*, path: Path | str | None = None) -> list[datetime.date]:
    """Create the shipped holidays that are missing; return their (Gregorian) dates.

    The file lists Jalali dates. A date already in the table is left as staff keep it, so
    running this again (load_fixtures on every deploy) adds nothing and undoes no edit. Like
    the other fixtures, shipped rows leave no audit events.
    """
    path = Path(path) if path else Path(settings.FIXTURE_DIRS[0]) / HOLIDAYS_FIXTURE
    rows = read_holiday_rows(path.read_text(encoding="utf-8"))
    dates = [row["date"] for row in rows]
    if len(set(dates)) != len(dates):
        raise ValueError(f"{path.name}: a date is listed twice; give it one row")
    with transaction.atomic():
        existing = set(Holiday.objects.values_list("date", flat=True))
        missing = [Holiday(**row) for row in rows if row["date"] not in existing]
        for holiday in missing:
            holiday.full_clean(validate_unique=False)
        Holiday.objects.bulk_create(missing)
        if missing:
            forget_reference_data()  # bulk_create sends no post_save
    return [h.date for h in missing]
