"""Reads of service-level clocks: working time used, share of the target, state, due times.

Every function takes `now` so a job, a test or the process engine can ask about any
instant; `calendar` may be passed to reuse one holiday list across many clocks.
"""

from __future__ import annotations

import datetime
import math

from apps.meter_service.doctype.sla import rules
from apps.meter_service.doctype.sla.calendar import (
    WorkCalendar,
    add_working_seconds,
    working_seconds_between,
)
from apps.meter_service.doctype.sla.models import SlaClock


def sla_worked_seconds(
    clock: SlaClock, now: datetime.datetime, *, calendar: WorkCalendar | None = None
) -> int:
    """Return the working seconds the clock has used by `now` (the open segment included)."""
    if clock.running_since is None:
        return clock.worked_seconds
    return clock.worked_seconds + working_seconds_between(
        clock.running_since, now, calendar=calendar
    )


def sla_fraction_used(
    clock: SlaClock, now: datetime.datetime, *, calendar: WorkCalendar | None = None
) -> float:
    """Return the share of the target used by `now`: 0.5 is half, 1.0 and above is breached."""
    return sla_worked_seconds(clock, now, calendar=calendar) / clock.target_seconds


def sla_state_at(
    clock: SlaClock, now: datetime.datetime, *, calendar: WorkCalendar | None = None
) -> str:
    """Return on_track, at_risk or breached for the clock at `now`."""
    return rules.state_for(
        worked_seconds=sla_worked_seconds(clock, now, calendar=calendar),
        target_seconds=clock.target_seconds,
        at_risk_percent=rules.at_risk_percent(),
    )


def seconds_for(clock: SlaClock, fraction: float) -> int:
    """Return the working seconds at which the clock reaches `fraction` of its target."""
    if fraction < 0:
        raise ValueError("fraction must not be negative")
    # Rounded first so 0.75 * 86400 stays 64800 whatever the float error.
    return math.ceil(round(fraction * clock.target_seconds, 6))


def sla_due_at(
    clock: SlaClock,
    fraction: float,
    now: datetime.datetime,
    *,
    calendar: WorkCalendar | None = None,
) -> datetime.datetime | None:
    """Return when the clock reaches `fraction` of its target if it keeps running from now.

    None for a stopped clock. A paused clock is counted as if it resumed at `now`. When the
    fraction is already reached the answer is not after `now`: the exact instant when it was
    reached in the running segment, else the start of that segment (or `now` when paused),
    as the instants inside earlier segments are not kept.
    """
    if clock.stopped_at is not None:
        return None
    base = clock.running_since if clock.running_since is not None else now
    remaining = seconds_for(clock, fraction) - clock.worked_seconds
    if remaining <= 0:
        return base
    return add_working_seconds(base, remaining, calendar=calendar)
