"""Jalali (Solar Hijri) dates in the interface; the database keeps Gregorian dates in UTC.

In Persian the desk shows and accepts Jalali dates (Persian or ASCII digits, "/" or "-");
in English it shows and accepts ISO dates.
"""

from __future__ import annotations

import datetime
import functools
import re

import jdatetime
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits

_DATE_RE = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")


def use_jalali() -> bool:
    """Return True when the active language shows Jalali dates."""
    return (get_language() or "fa").startswith("fa")


def to_jalali(value: datetime.date) -> jdatetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return jdatetime.date.fromgregorian(date=value)


def format_date(value: datetime.date | None) -> str:
    """Return the date as shown in the active language: ۱۴۰۳/۰۵/۱۲ or 2024-08-02."""
    if value is None:
        return ""
    if not use_jalali():
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return value.isoformat()
    return to_persian_digits(to_jalali(value).strftime("%Y/%m/%d"))


def format_datetime(value: datetime.datetime | None) -> str:
    """Return a date and time in the site's time zone, Jalali in Persian."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if not use_jalali():
        return local.strftime("%Y-%m-%d %H:%M")
    jalali = jdatetime.datetime.fromgregorian(datetime=local)
    return to_persian_digits(jalali.strftime("%Y/%m/%d %H:%M"))


def parse_date(text: str) -> datetime.date:
    """Return the Gregorian date for Jalali input in Persian, or ISO input in English.

    Raises ValueError on text that is not a real date. A four-digit year decides the calendar
    when it is unambiguous (a Jalali year is below 1700, a Gregorian one above), so a date
    pasted from a Gregorian source is still understood in Persian.
    """
    match = _DATE_RE.match(normalize_digits(str(text)))
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    if year < 1700:
        return _from_jalali(year, month, day)
    return datetime.date(year, month, day)


@functools.lru_cache(maxsize=4096)
def _from_jalali(year: int, month: int, day: int) -> datetime.date:
    # A file of bills repeats a few dates on every row; jdatetime's conversion is slow.
    return jdatetime.date(year, month, day).togregorian()


class JalaliDateField(forms.DateField):
    """A date field that takes and shows Jalali dates in Persian, ISO dates in English."""

    default_error_messages = {
        "invalid": _("Enter a valid date, such as 1403/05/12."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_date(value)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                self.error_messages["invalid"], code=CommonErrorCode.INVALID
            ) from exc

    def prepare_value(self, value):
        if isinstance(value, datetime.date):
            return format_date(value)
        return value
