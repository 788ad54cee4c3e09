"""Bill corrections, worked by hand: window, scaled and estimated volumes, re-pricing split
by season, rounding to whole Rial that adds up.

The pricer here is a two-block slab table, thresholds per 30 days prorated by the period's
days (the shape of the published household tariff, data/household-gas-tariff-1397.csv):
  warm: 0–45 m³ at 1,081 Rial, the rest at 1,311;  cold (zone 1): 0–300 m³ at 414, the rest 690.
Warm is in force until 2018-11-06 (1397-08-15), cold from 2018-11-07 (1397-08-16).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from apps.meter_service.doctype.correction.rules import (
    BilledPeriod,
    CorrectionError,
    TariffSpan,
    compute_correction,
    correction_window,
    scaled_volume,
)

D = datetime.date
TABLES = {"warm": (45, 1081, 1311), "cold": (300, 414, 690)}
SPANS = [
    TariffSpan("warm", D(2018, 3, 21), D(2018, 11, 7)),
    TariffSpan("cold", D(2018, 11, 7), D(2019, 3, 21)),
]
WIDE = (D(2017, 1, 1), D(2018, 12, 6))


def pricer(key: str, volume: Decimal, days: int) -> int:
    limit, low, high = TABLES[key]
    threshold = Decimal(limit) * days / 30
    first = min(volume, threshold)
    amount = first * low + max(volume - threshold, Decimal(0)) * high
    return int(amount.quantize(Decimal(1), ROUND_HALF_UP))


def bill(bill_id, start, end, volume, amount=0):
    return BilledPeriod(bill_id, start, end, Decimal(volume), amount)


# Three 30-day bills; the third spans the change from warm to cold months by one day.
THREE = [
    bill("B1", D(2018, 9, 7), D(2018, 10, 7), "60"),
    bill("B2", D(2018, 10, 7), D(2018, 11, 6), "90"),
    bill("B3", D(2018, 11, 6), D(2018, 12, 6), "300"),
]


def test_a_meter_4_percent_fast_over_three_periods_across_the_season_change():
    correction = compute_correction(
        bills=THREE,
        window=WIDE,
        verdict="fast",
        error_percent=Decimal("4"),
        spans=SPANS,
        pricer=pricer,
    )
    b1, b2, b3 = correction.periods
    # B1: 60 / 1.04 = 57.692 m³. Registered 45×1081 + 15×1311 = 68,310;
    # corrected 45×1081 + 12.692×1311 = 65,284.212 → 65,284. Difference −3,026.
    assert b1.corrected_m3 == Decimal("57.692")
    assert (b1.registered_rial, b1.corrected_rial, b1.difference_rial) == (68310, 65284, -3026)
    # B2: 90 / 1.04 = 86.538. 48,645 + 45×1311 = 107,640; 48,645 + 41.538×1311 = 103,101.318
    # → 103,101. Difference −4,539.
    assert (b2.registered_rial, b2.corrected_rial, b2.difference_rial) == (107640, 103101, -4539)
    # B3: 300 / 1.04 = 288.462, split 1 warm day + 29 cold days by days:
    #  warm: 10.000 and 9.615 m³ (threshold 1.5 m³): 1.5×1081 + 8.5×1311 = 12,765;
    #        1.5×1081 + 8.115×1311 = 12,260.265 → 12,260 (−505)
    #  cold: 290.000 and 278.847 m³ (threshold 290): 290×414 = 120,060;
    #        278.847×414 = 115,442.658 → 115,443 (−4,617)
    warm, cold = b3.pieces
    assert (warm.tariff, warm.days, warm.registered_m3, warm.corrected_m3) == (
        "warm",
        1,
        Decimal("10.000"),
        Decimal("9.615"),
    )
    assert (cold.tariff, cold.days, cold.registered_m3, cold.corrected_m3) == (
        "cold",
        29,
        Decimal("290.000"),
        Decimal("278.847"),
    )
    assert (warm.registered_rial, warm.corrected_rial) == (12765, 12260)
    assert (cold.registered_rial, cold.corrected_rial) == (120060, 115443)
    assert b3.difference_rial == -5122
    # A credit of 12,687 Rial, and every level adds up to the one above it.
    assert correction.difference_rial == -3026 - 4539 - 5122 == -12687
    for period in correction.periods:
        assert period.difference_rial == sum(p.difference_rial for p in period.pieces)
        assert sum(p.corrected_m3 for p in period.pieces) == period.corrected_m3


def test_a_meter_5_percent_slow_is_a_debit():
    correction = compute_correction(
        bills=THREE[:1],
        window=WIDE,
        verdict="slow",
        error_percent=Decimal("-5"),
        spans=SPANS,
        pricer=pricer,
    )
    (b1,) = correction.periods
    # 60 / 0.95 = 63.158 m³: 45×1081 + 18.158×1311 = 72,450.138 → 72,450; 72,450 − 68,310
    assert b1.corrected_m3 == Decimal("63.158")
    assert correction.difference_rial == 4140


def test_a_stopped_meter_is_estimated_from_the_same_days_of_earlier_years():
    history = [
        # A year earlier the same 30 days used 75 m³ (2.5 m³ a day) ...
        bill("H1", D(2017, 9, 7), D(2017, 10, 7), "75"),
        # ... and two years earlier 45 m³ (1.5 a day): the average is 2 m³ a day.
        bill("H2", D(2016, 9, 7), D(2016, 10, 7), "45"),
    ]
    stopped = bill("S1", D(2018, 9, 7), D(2018, 10, 7), "0")
    correction = compute_correction(
        bills=[stopped],
        window=WIDE,
        verdict="stopped",
        error_percent=None,
        spans=SPANS,
        pricer=pricer,
        history=history,
    )
    (s1,) = correction.periods
    assert (s1.corrected_m3, s1.method) == (Decimal("60.000"), "same_days_earlier_years")
    # 0 m³ billed; 60 m³ cost 45×1081 + 15×1311 = 68,310, all of it owed.
    assert correction.difference_rial == 68310


def test_without_earlier_years_the_periods_around_are_used():
    history = [
        bill("P1", D(2018, 7, 8), D(2018, 8, 7), "30"),
        bill("P2", D(2018, 8, 7), D(2018, 9, 6), "90"),
    ]
    stopped = bill("S1", D(2018, 9, 7), D(2018, 10, 7), "0")
    correction = compute_correction(
        bills=[stopped],
        window=WIDE,
        verdict="stopped",
        error_percent=None,
        spans=SPANS,
        pricer=pricer,
        history=history,
    )
    # (1 + 3) / 2 = 2 m³ a day × 30 days
    assert correction.periods[0].corrected_m3 == Decimal("60.000")
    assert correction.periods[0].method == "periods_around"


def test_the_officer_overrides_a_period_with_a_reason():
    correction = compute_correction(
        bills=THREE[:1],
        window=WIDE,
        verdict="fast",
        error_percent=Decimal("4"),
        spans=SPANS,
        pricer=pricer,
        overrides={"B1": (Decimal("50"), "guests left in August")},
    )
    period = correction.periods[0]
    assert (period.corrected_m3, period.method, period.note) == (
        Decimal("50"),
        "override",
        "guests left in August",
    )


def test_the_window_is_the_shorter_period_and_capped():
    test_day = D(2018, 12, 6)
    # last test 2015, last verified reading 2018-06-01: the shorter period starts in June
    assert correction_window(
        test_date=test_day,
        last_test_date=D(2015, 1, 1),
        last_verified_reading_date=D(2018, 6, 1),
        max_window_days=365,
    ) == (D(2018, 6, 1), test_day)
    # nothing verified: from the last test, but never more than the cap (365 days)
    assert correction_window(
        test_date=test_day,
        last_test_date=D(2015, 1, 1),
        last_verified_reading_date=None,
        max_window_days=365,
    ) == (D(2017, 12, 6), test_day)


def test_a_bill_half_inside_the_window_counts_its_days_inside():
    correction = compute_correction(
        bills=THREE[:1],
        window=(D(2018, 9, 22), D(2018, 12, 6)),
        verdict="fast",
        error_percent=Decimal("4"),
        spans=SPANS,
        pricer=pricer,
    )
    # 15 of its 30 days: 30 m³ registered
    (part,) = correction.periods
    assert (part.start, part.registered_m3) == (D(2018, 9, 22), Decimal("30.000"))


def test_no_tariff_for_some_days_is_an_error_not_a_guess():
    with pytest.raises(CorrectionError):
        compute_correction(
            bills=[bill("X", D(2019, 3, 1), D(2019, 4, 1), "10")],
            window=(D(2019, 1, 1), D(2019, 5, 1)),
            verdict="fast",
            error_percent=Decimal("4"),
            spans=SPANS,
            pricer=pricer,
        )


@pytest.mark.parametrize("verdict", ["within_tolerance", "tampered"])
def test_no_correction_for_a_meter_within_tolerance_or_tampered(verdict):
    with pytest.raises(CorrectionError):
        compute_correction(
            bills=THREE,
            window=WIDE,
            verdict=verdict,
            error_percent=Decimal("1"),
            spans=SPANS,
            pricer=pricer,
        )


def test_scaling_at_minus_100_percent_is_refused():
    with pytest.raises(CorrectionError):
        scaled_volume(Decimal(10), Decimal(-100))


def test_a_refusal_reads_in_the_interfaces_language_with_its_dates():
    """The billing officer sees why in Persian, with the Jalali date; logs keep English."""
    from django.utils import translation

    with pytest.raises(CorrectionError) as caught:
        compute_correction(
            bills=[bill("X", D(2019, 3, 1), D(2019, 4, 1), "10")],
            window=(D(2019, 1, 1), D(2019, 5, 1)),
            verdict="fast",
            error_percent=Decimal("4"),
            spans=SPANS,
            pricer=pricer,
        )
    assert str(caught.value) == "no gas tariff is in force from 2019-03-21"
    with translation.override("fa"):
        # 2019-03-21 is 1 Farvardin 1398.
        assert caught.value.user_message() == "از ۱۳۹۸/۰۱/۰۱ هیچ تعرفهٔ گازی برقرار نیست"
    with translation.override("en"):
        assert caught.value.user_message() == "no gas tariff is in force from 2019-03-21"


@pytest.mark.parametrize(
    ("raise_it", "persian"),
    [
        (lambda: scaled_volume(Decimal(10), Decimal(-100)), "خطای ‎-100 % یا کمتر"),
        (
            lambda: compute_correction(
                bills=THREE,
                window=WIDE,
                verdict="tampered",
                error_percent=None,
                spans=SPANS,
                pricer=pricer,
            ),
            "دستکاری‌شده",
        ),
        (
            lambda: correction_window(
                test_date=D(2019, 1, 1),
                last_test_date=D(2018, 1, 1),
                last_verified_reading_date=D(2019, 1, 1),
                max_window_days=365,
            ),
            "بازهٔ اصلاح خالی است",
        ),
    ],
)
def test_every_refusal_has_its_persian_words(raise_it, persian):
    from django.utils import translation

    with pytest.raises(CorrectionError) as caught:
        raise_it()
    with translation.override("fa"):
        assert persian in caught.value.user_message()
