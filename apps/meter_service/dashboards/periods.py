"""Reporting periods: Jalali months, Saturday-to-Friday weeks and days, in the site's zone.

The database groups claims by these periods with one CASE over the period starts, so the
buckets follow the Jalali calendar and the local day on SQLite and MariaDB alike (MariaDB
needs no time-zone tables, as it would for TruncMonth in a named zone).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import jdatetime
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date, use_jalali

# More columns than this do not fit a chart; a finer period is coarsened to fit.
MAX_BUCKETS = 120


class Period(models.TextChoices):
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")
    DAY = "day", _("Day")


@dataclass(frozen=True)
class Bucket:
    start: datetime.date  # first day
    end: datetime.date  # the day after the last

    @property
    def start_at(self) -> datetime.datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime.datetime:
        return local_midnight(self.end)


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The instant a local day starts, as an aware datetime (compared with UTC columns)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _month_start(day: datetime.date) -> datetime.date:
    j = jdatetime.date.fromgregorian(date=day)
    start: datetime.date = jdatetime.date(j.year, j.month, 1).togregorian()
    return start


def _next_month(start: datetime.date) -> datetime.date:
    j = jdatetime.date.fromgregorian(date=start)
    year, month = (j.year + 1, 1) if j.month == 12 else (j.year, j.month + 1)
    following: datetime.date = jdatetime.date(year, month, 1).togregorian()
    return following


def _week_start(day: datetime.date) -> datetime.date:
    # The Iranian week starts on Saturday (weekday() 5).
    return day - datetime.timedelta(days=(day.weekday() - 5) % 7)


def buckets(first: datetime.date, last: datetime.date, period: str) -> list[Bucket]:
    """Return the periods covering the days first..last, whole periods at both ends."""
    if last < first:
        return []
    if period == Period.DAY and (last - first).days + 1 > MAX_BUCKETS:
        period = Period.WEEK
    if period == Period.WEEK and ((last - first).days // 7) + 2 > MAX_BUCKETS:
        period = Period.MONTH
    result: list[Bucket] = []
    if period == Period.MONTH:
        start = _month_start(first)
        while start <= last and len(result) < MAX_BUCKETS:
            end = _next_month(start)
            result.append(Bucket(start, end))
            start = end
    else:
        step = datetime.timedelta(days=7 if period == Period.WEEK else 1)
        start = _week_start(first) if period == Period.WEEK else first
        while start <= last:
            result.append(Bucket(start, start + step))
            start += step
    return result


def bucket_period(bucket: Bucket) -> str:
    """The kind of period a bucket spans, from its length."""
    days = (bucket.end - bucket.start).days
    return Period.DAY if days == 1 else Period.WEEK if days == 7 else Period.MONTH


def bucket_label(bucket: Bucket) -> str:
    """Name a period for people: 'فروردین ۱۴۰۴' for a month, its first day otherwise."""
    if bucket_period(bucket) != Period.MONTH:
        return format_date(bucket.start)
    j = jdatetime.date.fromgregorian(date=bucket.start)
    if use_jalali():
        return f"{jdatetime.date.j_months_fa[j.month - 1]} {to_persian_digits(str(j.year))}"
    return f"{jdatetime.date.j_months_en[j.month - 1]} {j.year}"
