"""Fee tariffs (money): which tariff a claim's filing date and case pick, VAT to the Rial, and
no two tariffs for one case in force on the same day."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.fee_tariff import rules
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save

D = datetime.date
_ids = iter(range(1, 10_000))


def tariff(valid_from, valid_to=None, *, size="", customer="", kind="meter_test", amount=1):
    return SimpleNamespace(
        pk=next(_ids),
        kind=kind,
        meter_size=size,
        customer_type=customer,
        amount_rial=amount,
        valid_from=valid_from,
        valid_to=valid_to,
    )


# --- which tariff applies ------------------------------------------------------------------


def test_in_force_includes_both_ends_and_an_open_end_runs_on():
    closed = tariff(D(2024, 3, 20), D(2025, 3, 20))
    assert not rules.in_force(closed, D(2024, 3, 19))
    assert rules.in_force(closed, D(2024, 3, 20))
    assert rules.in_force(closed, D(2025, 3, 20))
    assert not rules.in_force(closed, D(2025, 3, 21))
    assert rules.in_force(tariff(D(2024, 3, 20)), D(2099, 1, 1))


def test_the_most_specific_tariff_in_force_wins():
    general = tariff(D(2024, 3, 20), amount=100)
    by_customer = tariff(D(2024, 3, 20), customer="g2b", amount=200)
    by_size = tariff(D(2024, 3, 20), size="G4", amount=300)
    exact = tariff(D(2024, 3, 20), size="G4", customer="g2b", amount=400)
    everything = [general, by_customer, by_size, exact]
    on = D(2024, 6, 1)

    def pick(size, customer, tariffs=everything):
        return rules.pick_tariff(tariffs, meter_size=size, customer_type=customer, on_date=on)

    assert pick("G4", "g2b") is exact
    assert pick("G4", "g2c") is by_size  # size outranks customer type
    assert pick("G6", "g2b") is by_customer
    assert pick("G6", "g2c") is general
    assert pick("G4", "g2b", [general, by_customer]) is by_customer


def test_of_two_equally_specific_tariffs_the_later_start_wins_and_none_in_force_is_none():
    old = tariff(D(2023, 3, 21), amount=100)
    new = tariff(D(2024, 3, 20), amount=150)
    assert (
        rules.pick_tariff([old, new], meter_size="G4", customer_type="g2c", on_date=D(2024, 4, 1))
        is new
    )
    assert (
        rules.pick_tariff([old, new], meter_size="G4", customer_type="g2c", on_date=D(2024, 3, 19))
        is old
    )
    assert (
        rules.pick_tariff([new], meter_size="G4", customer_type="g2c", on_date=D(2024, 3, 19))
        is None
    )


# --- VAT to the Rial -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "percent", "vat"),
    [
        (1_500_000, "10", 150_000),
        (15, "10", 2),
        (25, "10", 3),
        (14, "10", 1),
        (0, "9", 0),
        (1_234_567, "9", 111_111),
    ],
)
def test_vat_is_rounded_half_up_to_a_whole_rial(amount, percent, vat):
    assert rules.vat_of(amount, Decimal(percent)) == vat


@given(st.integers(0, 10**12), st.decimals(0, 100, places=2))
def test_vat_equals_exact_arithmetic_rounded_half_up(amount, percent):
    exact = Fraction(amount) * Fraction(percent) / 100
    # Half up, in integers: floor(exact + 1/2).
    expected = (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)
    assert rules.vat_of(amount, percent) == expected


# --- no overlap ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "new", "overlaps"),
    [
        ((D(2024, 3, 20), None), (D(2025, 3, 21), None), True),  # open-ended runs on
        ((D(2024, 3, 20), D(2025, 3, 20)), (D(2025, 3, 21), None), False),  # the next day
        ((D(2024, 3, 20), D(2025, 3, 20)), (D(2025, 3, 20), None), True),  # shares a day
        ((D(2024, 3, 20), D(2025, 3, 20)), (D(2023, 1, 1), D(2024, 3, 19)), False),
        ((D(2024, 3, 20), D(2025, 3, 20)), (D(2023, 1, 1), D(2030, 1, 1)), True),  # covers it
    ],
)
def test_overlap_in_time_for_the_same_case_is_refused(existing, new, overlaps):
    check = lambda: rules.check_no_overlap(tariff(*new), [tariff(*existing)])  # noqa: E731
    if overlaps:
        with pytest.raises(ValidationError) as refused:
            check()
        assert refused.value.error_dict["valid_from"][0].code == "tariff_overlap"
    else:
        check()


def test_other_cases_may_overlap():
    existing = [tariff(D(2024, 3, 20)), tariff(D(2024, 3, 20), kind="counter_office")]
    rules.check_no_overlap(tariff(D(2024, 3, 20), size="G4"), existing)
    rules.check_no_overlap(tariff(D(2024, 3, 20), customer="g2b"), existing)


# --- through the service and the selector --------------------------------------------------


@pytest.mark.django_db
def test_an_overlapping_tariff_is_refused_and_nothing_is_written():
    fee_tariff_save(kind="meter_test", amount_rial=1_500_000, valid_from=D(2024, 3, 20))
    before = (FeeTariff.objects.count(), DocumentEvent.objects.count())
    with pytest.raises(ValidationError):
        fee_tariff_save(kind="meter_test", amount_rial=1_800_000, valid_from=D(2025, 3, 21))
    assert (FeeTariff.objects.count(), DocumentEvent.objects.count()) == before


@pytest.mark.django_db
def test_the_quote_takes_the_tariffs_in_force_on_the_filing_date(settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "VAT_PERCENT": 10}
    old = fee_tariff_save(
        kind="meter_test", amount_rial=1_000_000, valid_from=D(2023, 3, 21), valid_to=D(2024, 3, 19)
    )
    new = fee_tariff_save(kind="meter_test", amount_rial=1_500_000, valid_from=D(2024, 3, 20))
    office = fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=D(2024, 3, 20))

    before = fee_quote(meter_size="G4", customer_type="g2c", channel="web", on_date=D(2024, 3, 19))
    assert (before.test_tariff_id, before.test_fee, before.vat, before.channel_fee) == (
        old.pk,
        1_000_000,
        100_000,
        0,
    )
    after = fee_quote(
        meter_size="G4", customer_type="g2c", channel="counter_office", on_date=D(2024, 3, 20)
    )
    assert (after.test_tariff_id, after.channel_tariff_id) == (new.pk, office.pk)
    assert after.total == 1_500_000 + 150_000 + 109_000

    with pytest.raises(ValidationError) as refused:
        fee_quote(meter_size="G4", customer_type="g2c", channel="web", on_date=D(2023, 3, 20))
    assert refused.value.code == "no_tariff"
