"""Worked examples of the test arithmetic: errors, flow bands, tolerances, decisive point.

A G4 meter of class 1.5 throughout: Qmax 6 m³/h, Qt = 0.1 x Qmax = 0.6 m³/h; the default
in-service tolerance is the OIML R137 MPE, ±3 % below Qt and ±1.5 % from Qt up.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.meter_service.doctype.inspection import rules
from apps.meter_service.engine.decisions import decide_verdict
from apps.meter_service.engine.services import process_version_active

from .conftest import HIGH_FLOW, LOW_FLOW, point

BANDS = {"1.0": {"low": 2.0, "high": 1.0}, "1.5": {"low": 3.0, "high": 1.5}}


def assess(*points, accuracy_class="1.5"):
    return rules.assess(
        list(points),
        accuracy_class=accuracy_class,
        meter_size="G4",
        bands=BANDS,
        transition_fraction=0.1,
    )


@pytest.mark.parametrize(
    ("reference", "registered", "error"),
    [
        ("100", "101.5", "1.50"),  # fast: the subscriber is over-billed
        ("10", "9.7", "-3.00"),  # slow
        ("50", "52", "4.00"),
        ("20", "19", "-5.00"),
        ("200", "200.01", "0.01"),  # 0.005 rounds half up, not to the even 0.00
        ("200", "199.99", "-0.01"),  # and away from zero below it
        ("3", "3.0001", "0.00"),
        ("0.5", "0", "-100.00"),  # a meter that registered nothing
    ],
)
def test_error_percent_worked_examples(reference, registered, error):
    assert rules.error_percent(
        meter_volume=Decimal(registered), reference_volume=Decimal(reference)
    ) == Decimal(error)


def test_error_needs_a_positive_reference_volume():
    with pytest.raises(ValueError):
        rules.error_percent(meter_volume=Decimal("1"), reference_volume=Decimal("0"))


@pytest.mark.parametrize(
    ("flow", "band"),
    [("0.04", "low"), ("0.599", "low"), ("0.6", "high"), ("1.2", "high"), ("6", "high")],
)
def test_flow_band_against_qt(flow, band):
    assert rules.flow_band(Decimal(flow), meter_size="G4", transition_fraction=0.1) == band


def test_the_transition_fraction_is_a_setting(settings):
    assert settings.METER_SERVICE["TRANSITION_FLOW_FRACTION"] == 0.1
    assert rules.flow_band(Decimal("1.0"), meter_size="G4", transition_fraction=0.2) == "low"


def test_default_tolerances_are_the_oiml_table():
    bands = settings.METER_SERVICE["IN_SERVICE_TOLERANCE_BANDS"]
    assert rules.band_tolerance("1.5", "low", bands) == Decimal("3")
    assert rules.band_tolerance("1.5", "high", bands) == Decimal("1.5")
    assert rules.band_tolerance("1.0", "low", bands) == Decimal("2")
    assert rules.band_tolerance("1.0", "high", bands) == Decimal("1")
    with pytest.raises(ValidationError):
        rules.band_tolerance("2.0", "low", bands)


def test_points_in_both_bands_each_get_their_own_tolerance():
    result = assess(point(HIGH_FLOW, 100, "101.2"), point(LOW_FLOW, 10, "9.75"))
    high, low = result.points
    assert (high.band, high.error_percent, high.tolerance_percent) == ("high", Decimal("1.20"), 1.5)
    assert (low.band, low.error_percent, low.tolerance_percent) == ("low", Decimal("-2.50"), 3)
    assert result.mean_error_percent == Decimal("-0.65")


def test_the_decisive_point_is_furthest_outside_its_band_not_the_largest_error():
    # +1.8 % at high flow uses 120 % of its ±1.5 %; -2.9 % at low flow only 97 % of ±3 %.
    result = assess(point(LOW_FLOW, 10, "9.71"), point(HIGH_FLOW, 100, "101.8"))
    assert result.decisive is result.points[1]
    assert (result.error_percent, result.mpe, result.band) == (Decimal("1.80"), 1.5, "high")


def test_of_equally_used_tolerances_the_first_point_decides():
    result = assess(point(HIGH_FLOW, 100, "101.5"), point(LOW_FLOW, 10, "9.7"))
    assert result.decisive is result.points[0]


def test_no_points_no_decisive_point():
    result = assess()
    assert result.decisive is None and result.error_percent is None and result.mpe is None


def _verdict(result, *, tampered=False, stopped=False):
    return decide_verdict(
        version=process_version_active(),
        tampered=tampered,
        stopped=stopped,
        error_percent=result.error_percent if result else None,
        mpe=result.mpe if result else None,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("points", "verdict"),
    [
        # Exactly at the tolerance passes, in either band.
        ([point(HIGH_FLOW, 100, "101.5"), point(LOW_FLOW, 10, "9.7")], "within_tolerance"),
        ([point(HIGH_FLOW, 100, "98.5")], "within_tolerance"),
        ([point(HIGH_FLOW, 100, "101.51")], "fast"),
        ([point(LOW_FLOW, 100, "96.99")], "slow"),
        # 4 % fast at high flow, 5 % slow at low flow.
        ([point(HIGH_FLOW, 50, 52), point(LOW_FLOW, 10, 10)], "fast"),
        ([point(HIGH_FLOW, 50, 50), point(LOW_FLOW, 20, 19)], "slow"),
        # 2 % fast passes at low flow but not at high flow.
        ([point(LOW_FLOW, 50, 51)], "within_tolerance"),
        ([point(HIGH_FLOW, 50, 51)], "fast"),
    ],
)
def test_verdict_comes_from_the_dmn_table(points, verdict):
    assert _verdict(assess(*points)) == verdict


@pytest.mark.django_db
def test_tampering_and_stopping_decide_before_the_error():
    fast = assess(point(HIGH_FLOW, 50, 52))
    assert _verdict(fast, tampered=True) == "tampered"
    assert _verdict(fast, stopped=True) == "stopped"
    assert _verdict(None, stopped=True) == "stopped"
    assert _verdict(None, tampered=True, stopped=True) == "tampered"


def test_point_errors_by_field():
    assert rules.point_errors(point(HIGH_FLOW, 10, 10), meter_size="G4") == {}
    errors = rules.point_errors(point("7", "0", "1"), meter_size="G4")
    assert errors["flow_rate_m3h"].code == "flow_above_qmax"
    assert errors["reference_volume_m3"].code == "reference_not_positive"
    errors = rules.point_errors(point("1", "10", "25"), meter_size="G4")
    assert errors["meter_volume_m3"].code == "error_implausible"
    errors = rules.point_errors({"flow_rate_m3h": "x", "meter_volume_m3": "1"}, meter_size="G4")
    assert errors["flow_rate_m3h"].code == "invalid"
    assert errors["reference_volume_m3"].code == "required"


def test_persian_digits_are_numbers_too():
    assert rules.to_decimal("۱۲٫۵") == Decimal("12.5")
    assert rules.to_decimal("٣") == Decimal("3")


def test_a_broken_or_missing_seal_counts_as_tampering():
    assert not rules.is_tampered(tampering=False, seal_state="intact")
    assert rules.is_tampered(tampering=False, seal_state="broken")
    assert rules.is_tampered(tampering=False, seal_state="missing")
    assert rules.is_tampered(tampering=True, seal_state="intact")


def test_serials_compare_as_people_write_them():
    assert rules.serial_matches(" gt-۳۰۰۰۱ ", "GT-30001")
    assert not rules.serial_matches("GT-30002", "GT-30001")
