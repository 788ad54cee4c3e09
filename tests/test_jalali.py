"""Jalali dates: parsing Persian input, showing dates in the active language."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from apps.meter_service.core.jalali import (
    JalaliDateField,
    format_date,
    format_datetime,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1403/01/01", datetime.date(2024, 3, 20)),  # Nowruz 1403
        ("۱۴۰۳/۰۱/۰۱", datetime.date(2024, 3, 20)),
        ("١٤٠٣-١-١", datetime.date(2024, 3, 20)),  # Arabic-Indic digits, dashes
        ("1402/12/29", datetime.date(2024, 3, 19)),
        ("1403/12/30", datetime.date(2025, 3, 20)),  # 1403 is a leap year
        ("2024-03-20", datetime.date(2024, 3, 20)),  # Gregorian pasted in
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["1402/12/30", "1403/13/01", "1403/00/10", "14030101", "abc", ""])
def test_parse_date_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_format_date_in_each_language():
    day = datetime.date(2024, 8, 2)
    with translation.override("fa"):
        assert format_date(day) == "۱۴۰۳/۰۵/۱۲"
    with translation.override("en"):
        assert format_date(day) == "2024-08-02"


def test_format_datetime_uses_tehran_time():
    moment = datetime.datetime(2024, 3, 19, 21, 0, tzinfo=datetime.UTC)  # 00:30 next day
    with translation.override("fa"):
        assert format_datetime(moment) == "۱۴۰۳/۰۱/۰۱ ۰۰:۳۰"
    assert timezone.is_aware(moment)


def test_form_field_takes_jalali_in_persian_and_iso_in_english():
    field = JalaliDateField()
    with translation.override("fa"):
        assert field.clean("۱۴۰۳/۰۵/۱۲") == datetime.date(2024, 8, 2)
        with pytest.raises(ValidationError):
            field.clean("1403/02/32")
    with translation.override("en"):
        assert field.clean("2024-08-02") == datetime.date(2024, 8, 2)


@given(st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2200, 1, 1)))
def test_show_then_parse_round_trips(day):
    with translation.override("fa"):
        assert parse_date(format_date(day)) == day
