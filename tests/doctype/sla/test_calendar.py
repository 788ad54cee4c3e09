"""Working time: worked examples counted by hand, and the two functions as inverses.

The default hours: Saturday to Wednesday 07:00-15:00 (8 h), Thursday 07:00-12:00 (5 h),
Friday off, all Tehran time. The week of 25 April to 1 May 2026 (5-11 Ordibehesht 1405) has
no public holiday:

    Sat 25 Apr   Sun 26   Mon 27   Tue 28   Wed 29   Thu 30 Apr   Fri 1 May   Sat 2 May
    8 h          8 h      8 h      8 h      8 h      5 h          0 h         8 h
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.meter_service.doctype.sla.calendar import (
    WorkCalendar,
    add_working_seconds,
    load_calendar,
    working_seconds_between,
)
from apps.meter_service.doctype.sla.models import Holiday
from tests.doctype.sla.conftest import HOUR, TEHRAN, at

WORKDAY = (datetime.time(7), datetime.time(15))
THURSDAY = (datetime.time(7), datetime.time(12))


def calendar(holidays: dict | None = None, thursday=THURSDAY) -> WorkCalendar:
    return WorkCalendar(workday=WORKDAY, thursday=thursday, holidays=holidays or {}, tz=TEHRAN)


PLAIN = calendar()


# --- worked examples ------------------------------------------------------------------------


def test_within_one_working_day():
    # Sat 09:00 -> 13:30 is 4 h 30 min.
    assert PLAIN.working_seconds_between(at(2026, 4, 25, 9), at(2026, 4, 25, 13, 30)) == 16_200
    # Before opening and after closing count nothing: 06:00 -> 16:00 is the 8 h of the day.
    assert PLAIN.working_seconds_between(at(2026, 4, 25, 6), at(2026, 4, 25, 16)) == 8 * HOUR
    # Outside hours only: the evening to the next morning's opening is nothing.
    assert PLAIN.working_seconds_between(at(2026, 4, 25, 15), at(2026, 4, 26, 7)) == 0


def test_across_a_friday():
    # Thu 10:00 -> Sat 09:00: Thu 10-12 (2 h) + Fri 0 + Sat 07-09 (2 h) = 4 h.
    assert PLAIN.working_seconds_between(at(2026, 4, 30, 10), at(2026, 5, 2, 9)) == 4 * HOUR
    # 4 h after Thu 10:00 is Sat 09:00, not Friday.
    assert PLAIN.add_working_seconds(at(2026, 4, 30, 10), 4 * HOUR) == at(2026, 5, 2, 9)


def test_thursday_is_a_half_day():
    # Wed 14:00 -> Thu 13:00: Wed 14-15 (1 h) + Thu 07-12 (5 h) = 6 h.
    assert PLAIN.working_seconds_between(at(2026, 4, 29, 14), at(2026, 4, 30, 13)) == 6 * HOUR
    # A 24 h target from Wed 10:00: Wed 5 h, Thu 5 h (10), Fri 0, Sat 8 h (18), then
    # 6 h on Sunday: due Sun 3 May 13:00.
    assert PLAIN.add_working_seconds(at(2026, 4, 29, 10), 24 * HOUR) == at(2026, 5, 3, 13)


def test_thursday_can_be_a_day_off():
    no_thursday = calendar(thursday=None)
    # Wed 14:00 -> Sat 08:00: Wed 1 h + Thu 0 + Fri 0 + Sat 1 h = 2 h.
    assert no_thursday.working_seconds_between(at(2026, 4, 29, 14), at(2026, 5, 2, 8)) == 2 * HOUR


def test_a_whole_week_and_a_target_from_saturday_morning():
    # Sat 07:00 to the next Sat 07:00: 5 x 8 h + 5 h = 45 h.
    assert PLAIN.working_seconds_between(at(2026, 4, 25, 7), at(2026, 5, 2, 7)) == 45 * HOUR
    # 24 h from Sat 07:00 is three full days: Mon 27 Apr 15:00 (the end of a window).
    assert PLAIN.add_working_seconds(at(2026, 4, 25, 7), 24 * HOUR) == at(2026, 4, 27, 15)


def test_a_holiday_takes_the_day_out():
    # Tasua and Ashura 1405 fall on Wed 24 and Thu 25 June 2026, before the Friday.
    tasua = calendar({datetime.date(2026, 6, 24): False, datetime.date(2026, 6, 25): False})
    # Tue 14:00 -> Sat 08:00: Tue 14-15 (1 h) + Wed 0 + Thu 0 + Fri 0 + Sat 07-08 (1 h) = 2 h.
    start, end = at(2026, 6, 23, 14), at(2026, 6, 27, 8)
    assert tasua.working_seconds_between(start, end) == 2 * HOUR
    assert PLAIN.working_seconds_between(start, end) == (1 + 8 + 5 + 1) * HOUR
    assert tasua.add_working_seconds(start, 2 * HOUR) == end


def test_a_half_day_holiday_counts_like_thursday():
    half = calendar({datetime.date(2026, 4, 27): True})  # Monday
    # Mon 09:00 -> Tue 09:00: Mon 09-12 (3 h) + Tue 07-09 (2 h) = 5 h.
    assert half.working_seconds_between(at(2026, 4, 27, 9), at(2026, 4, 28, 9)) == 5 * HOUR


@pytest.mark.django_db
def test_holidays_come_from_the_table(settings):
    Holiday.objects.create(date=datetime.date(2026, 6, 24), name="تاسوعای حسینی")
    Holiday.objects.create(date=datetime.date(2026, 6, 25), name="عاشورای حسینی")
    start, end = at(2026, 6, 23, 14), at(2026, 6, 27, 8)
    assert working_seconds_between(start, end) == 2 * HOUR
    assert add_working_seconds(start, 2 * HOUR) == end
    # The hours come from the settings.
    settings.METER_SERVICE = {**settings.METER_SERVICE, "SLA_WORKDAY_HOURS": ["08:00", "16:00"]}
    assert working_seconds_between(at(2026, 4, 25, 7), at(2026, 4, 25, 9)) == 1 * HOUR
    assert load_calendar().workday == (datetime.time(8), datetime.time(16))


def test_hours_are_tehran_wall_clock_whatever_the_input_zone():
    utc = datetime.UTC
    # 03:30 UTC is 07:00 in Tehran (UTC+03:30, no daylight saving since 2022).
    start = datetime.datetime(2026, 4, 25, 3, 30, tzinfo=utc)
    assert PLAIN.working_seconds_between(start, start + datetime.timedelta(hours=8)) == 8 * HOUR
    assert PLAIN.add_working_seconds(start, HOUR) == at(2026, 4, 25, 8)


def test_zero_seconds_is_the_start_itself_even_outside_hours():
    friday_night = at(2026, 5, 1, 22)
    assert PLAIN.add_working_seconds(friday_night, 0) == friday_night
    assert PLAIN.add_working_seconds(friday_night, 1) == at(2026, 5, 2, 7, 0) + datetime.timedelta(
        seconds=1
    )


def test_end_before_start_is_no_time_and_naive_times_are_refused():
    assert PLAIN.working_seconds_between(at(2026, 4, 26, 12), at(2026, 4, 25, 12)) == 0
    with pytest.raises(ValueError):
        PLAIN.working_seconds_between(datetime.datetime(2026, 4, 25, 9), at(2026, 4, 25, 12))
    with pytest.raises(ValueError):
        PLAIN.add_working_seconds(at(2026, 4, 25, 9), -1)
    with pytest.raises(ValueError):  # a calendar without any working day
        WorkCalendar(workday=None, thursday=None, tz=TEHRAN).add_working_seconds(
            at(2026, 4, 25, 9), 1
        )


def test_a_span_of_months_in_one_go():
    # 1 Ordibehesht to 1 Mehr 1405 (21 Apr - 23 Sep 2026), no holidays: 22 weeks of 45 h
    # from Tue 21 Apr 00:00 to Tue 22 Sep 00:00, then Tue 22 Sep (8 h).
    start, end = at(2026, 4, 21), at(2026, 9, 23)
    assert PLAIN.working_seconds_between(start, end) == (22 * 45 + 8) * HOUR
    assert PLAIN.add_working_seconds(start, (22 * 45 + 8) * HOUR) == at(2026, 9, 22, 15)


# --- add_working_seconds is the inverse of working_seconds_between ---------------------------

SAMPLE = calendar(
    {
        datetime.date(2026, 6, 24): False,
        datetime.date(2026, 6, 25): False,
        datetime.date(2026, 8, 4): False,
        datetime.date(2026, 8, 10): True,
    }
)
instants = st.datetimes(
    min_value=datetime.datetime(2026, 5, 1),
    max_value=datetime.datetime(2026, 10, 1),
    timezones=st.just(TEHRAN),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(start=instants, seconds=st.integers(min_value=0, max_value=60 * 45 * HOUR))
def test_adding_then_measuring_gives_the_seconds_back(start, seconds):
    end = SAMPLE.add_working_seconds(start, seconds)
    assert end >= start
    assert SAMPLE.working_seconds_between(start, end) == seconds
    if seconds:
        # The instant lies in working time: nothing is added by moving it back a second.
        window = SAMPLE.window(end.astimezone(TEHRAN).date())
        assert window is not None and window[0] < end <= window[1]


@hypothesis_settings(max_examples=300, deadline=None)
@given(start=instants, end=instants)
def test_measuring_then_adding_lands_on_the_last_working_instant(start, end):
    seconds = SAMPLE.working_seconds_between(start, end)
    back = SAMPLE.add_working_seconds(start, seconds)
    assert SAMPLE.working_seconds_between(start, back) == seconds
    if end > start:
        assert back <= end
        # No working time is left between that instant and the end, but for the fraction
        # of a second the whole seconds leave out.
        assert SAMPLE.working_seconds_between(back, end) == 0
