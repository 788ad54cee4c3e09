"""Working time for service-level targets: office hours in the site's time zone, less holidays.

Saturday to Wednesday are full working days (SLA_WORKDAY_HOURS), Thursday is a half day
(SLA_THURSDAY_HOURS, or None for a day off) and Friday is off. A Holiday row takes its date
out, or, when marked half_day, gives it Thursday's hours. The hours are local wall-clock times
in settings.TIME_ZONE; each day's window is turned into aware instants, so the arithmetic
stays right even on a date whose UTC offset differs (Tehran kept DST until 2022).

The functions walk day by day (a span of months is a few hundred steps) and read the holiday
list once per call; a caller that works through many clocks builds one `WorkCalendar` with
`load_calendar()` and passes it in.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.meter_service.doctype.claim.rules import rule_setting
from apps.meter_service.doctype.sla.models import Holiday
from apps.meter_service.reference_data import reference

# datetime.weekday(): Monday is 0, so Thursday is 3 and Friday 4.
THURSDAY, FRIDAY = 3, 4

# add_working_seconds gives up after this many days in a row without working time: a
# calendar with no working day at all would otherwise loop for ever.
MAX_IDLE_DAYS = 400

Window = tuple[datetime.time, datetime.time]


def _parse_hours(value, name: str) -> Window | None:
    """Return (start, end) from ["HH:MM", "HH:MM"]; None when the setting is None."""
    if value is None:
        return None
    try:
        start, end = (datetime.time.fromisoformat(str(part)) for part in value)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f'{name} must be ["HH:MM", "HH:MM"] or null') from exc
    if start >= end:
        raise ImproperlyConfigured(f"{name} must start before it ends")
    return start, end


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours, the half-day hours, the holidays and the time zone they are read in."""

    workday: Window | None
    thursday: Window | None
    holidays: Mapping[datetime.date, bool] = field(default_factory=dict)  # date -> half_day
    tz: datetime.tzinfo = field(default_factory=timezone.get_default_timezone)

    def hours_on(self, day: datetime.date) -> Window | None:
        """Return the working hours of a local date, or None for a day off."""
        if day.weekday() == FRIDAY:
            return None
        if day in self.holidays:
            return self.thursday if self.holidays[day] else None
        if day.weekday() == THURSDAY:
            return self.thursday
        return self.workday

    def window(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
        """Return the day's working hours as aware instants, or None for a day off."""
        hours = self.hours_on(day)
        if hours is None:
            return None
        return (
            datetime.datetime.combine(day, hours[0], tzinfo=self.tz),
            datetime.datetime.combine(day, hours[1], tzinfo=self.tz),
        )

    def working_seconds_between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        """Return the whole seconds of working time from start to end (0 if end <= start)."""
        _check_aware(start, end)
        if end <= start:
            return 0
        total = datetime.timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                overlap = min(window[1], end) - max(window[0], start)
                if overlap > datetime.timedelta():
                    total += overlap
            day += datetime.timedelta(days=1)
        # Summed as timedeltas first: exact to the microsecond, then floored once.
        return int(total.total_seconds())

    def add_working_seconds(self, start: datetime.datetime, seconds: int) -> datetime.datetime:
        """Return the instant at which `seconds` of working time have passed after start.

        With 0 seconds this is start itself, even outside working hours; otherwise the
        result always lies in working hours (the end of a window when the time runs out
        exactly there).
        """
        _check_aware(start)
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds == 0:
            return start
        remaining = datetime.timedelta(seconds=seconds)
        day = start.astimezone(self.tz).date()
        idle = 0
        while True:
            window = self.window(day)
            if window is not None and window[1] > start:
                begin = max(window[0], start)
                available = window[1] - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
                idle = 0
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise ValueError("the calendar has no working time")
            day += datetime.timedelta(days=1)


def _check_aware(*values: datetime.datetime) -> None:
    for value in values:
        if timezone.is_naive(value):
            raise ValueError("working-time arithmetic needs aware datetimes")


def load_calendar(*, since: datetime.date | None = None) -> WorkCalendar:
    """Build the calendar from the settings and the Holiday rows (from `since` on, if given)."""

    def every_holiday() -> Mapping[datetime.date, bool]:
        return MappingProxyType(dict(Holiday.objects.values_list("date", "half_day")))

    def holidays_since() -> Mapping[datetime.date, bool]:
        holidays = Holiday.objects.all()
        if since is not None:
            holidays = holidays.filter(date__gte=since)
        return dict(holidays.values_list("date", "half_day"))

    return WorkCalendar(
        workday=_parse_hours(rule_setting("SLA_WORKDAY_HOURS"), "SLA_WORKDAY_HOURS"),
        thursday=_parse_hours(rule_setting("SLA_THURSDAY_HOURS"), "SLA_THURSDAY_HOURS"),
        holidays=reference("holidays", every_holiday, uncached=holidays_since),
    )


def _local_date(value: datetime.datetime) -> datetime.date:
    return value.astimezone(timezone.get_default_timezone()).date()


def working_seconds_between(
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    calendar: WorkCalendar | None = None,
) -> int:
    """Return the whole seconds of working time between two aware instants.

    0 when end is not after start. Holidays are read from the database unless a calendar
    is given.
    """
    _check_aware(start, end)
    if calendar is None:
        calendar = load_calendar(since=_local_date(min(start, end)))
    return calendar.working_seconds_between(start, end)


def add_working_seconds(
    start: datetime.datetime,
    seconds: int,
    *,
    calendar: WorkCalendar | None = None,
) -> datetime.datetime:
    """Return the instant when `seconds` of working time have passed after an aware start.

    With seconds == 0 it is start itself, even outside working hours.
    """
    _check_aware(start)
    if calendar is None:
        calendar = load_calendar(since=_local_date(start))
    return calendar.add_working_seconds(start, seconds)
