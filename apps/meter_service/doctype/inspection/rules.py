"""Rules of a meter test: pure arithmetic and checks, no reads or writes.

Error at one point: ``E% = (V_meter - V_reference) / V_reference * 100`` (positive: the meter
runs fast). Each point falls in a flow band by its flow rate: low from Qmin up to the
transition flow Qt, high from Qt to Qmax (OIML R137), Qt being a fraction of the meter size's
Qmax. The in-service tolerance depends on the accuracy class and the band. The decisive point
is the one furthest outside (or least inside) its band: the largest |E| / tolerance. Its error
and tolerance go to the DMN decision test_verdict, which names the verdict.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import uploads
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.forms import normalize_input
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.rules import QMAX_BY_SIZE
from apps.meter_service.doctype.inspection.error_codes import InspectionErrorCode
from apps.meter_service.doctype.inspection.models import (
    EQUIPMENT_FOR_TEST,
    FlowBand,
    SealState,
)

TWO_PLACES = Decimal("0.01")
# Beyond this the volumes were surely mistyped: no meter registers twice what passed.
MAX_ABS_ERROR = Decimal("100")
POINT_FIELDS = (
    "flow_rate_m3h",
    "reference_volume_m3",
    "meter_volume_m3",
    "temperature_c",
    "pressure_kpa",
)
REQUIRED_POINT_FIELDS = POINT_FIELDS[:3]


def _error(field: str, message, code: str, **params) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


def to_decimal(value) -> Decimal | None:
    """Return a number typed with any digits (Persian, Arabic-Indic, ASCII) as a Decimal."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        number = Decimal(normalize_input(str(value)).strip())
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return number


def required_decimal(value) -> Decimal:
    """A number that must be there (a point that passed check_points): as to_decimal, and
    ValueError when it is missing."""
    number = to_decimal(value)
    if number is None:
        raise ValueError("a number is required")
    return number


def error_percent(*, meter_volume: Decimal, reference_volume: Decimal) -> Decimal:
    """Return the meter's error at one point in %, to 2 places rounded half up."""
    if reference_volume <= 0:
        raise ValueError("the reference volume must be positive")
    raw = (meter_volume - reference_volume) / reference_volume * 100
    return raw.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def qmax(meter_size: str) -> Decimal:
    """The maximum flow (m³/h) of a meter size (G1.6 ... G100)."""
    try:
        return QMAX_BY_SIZE[meter_size]
    except KeyError as exc:
        raise ValidationError(
            _("No maximum flow is known for meter size %(size)s."),
            code=InspectionErrorCode.UNKNOWN_SIZE,
            params={"size": meter_size},
        ) from exc


def transition_flow(meter_size: str, fraction) -> Decimal:
    """Qt: the flow that divides the low band from the high band."""
    return qmax(meter_size) * Decimal(str(fraction))


def flow_band(flow_rate: Decimal, *, meter_size: str, transition_fraction) -> str:
    """Return "low" below Qt and "high" from Qt up."""
    if flow_rate < transition_flow(meter_size, transition_fraction):
        return FlowBand.LOW
    return FlowBand.HIGH


def band_tolerance(accuracy_class: str, band: str, bands: Mapping) -> Decimal:
    """The in-service tolerance (± %) of an accuracy class in a flow band, from the setting."""
    try:
        tolerance = Decimal(str(bands[accuracy_class][band]))
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise ValidationError(
            _("No in-service tolerance is set for accuracy class %(cls)s in the %(band)s band."),
            code=InspectionErrorCode.NO_TOLERANCE,
            params={"cls": accuracy_class, "band": band},
        ) from exc
    if tolerance <= 0:
        raise ValidationError(
            _("The in-service tolerance of accuracy class %(cls)s must be above zero."),
            code=InspectionErrorCode.NO_TOLERANCE,
            params={"cls": accuracy_class},
        )
    return tolerance


def point_errors(point: Mapping, *, meter_size: str) -> dict[str, ValidationError]:
    """Return what is wrong with one test point, by field (empty when it is fine)."""
    errors: dict[str, ValidationError] = {}
    values: dict[str, Decimal | None] = {}
    for name in POINT_FIELDS:
        try:
            values[name] = to_decimal(point.get(name))
        except ValueError:
            errors[name] = ValidationError(_("Enter a number."), code=CommonErrorCode.INVALID)
            continue
        if values[name] is None and name in REQUIRED_POINT_FIELDS:
            errors[name] = ValidationError(
                _("This field is required."), code=CommonErrorCode.REQUIRED
            )
    if errors:
        return errors
    flow, reference, registered = (values[n] for n in REQUIRED_POINT_FIELDS)
    # Each required one was refused above when missing.
    assert flow is not None and reference is not None and registered is not None
    if flow <= 0:
        errors["flow_rate_m3h"] = ValidationError(
            _("The flow rate must be above zero."), code=InspectionErrorCode.FLOW_NOT_POSITIVE
        )
    elif flow > qmax(meter_size):
        errors["flow_rate_m3h"] = ValidationError(
            _("The flow rate is above the Qmax of a %(size)s meter (%(qmax)s m³/h)."),
            code=InspectionErrorCode.FLOW_ABOVE_QMAX,
            params={"size": meter_size, "qmax": f"{qmax(meter_size).normalize():f}"},
        )
    if reference <= 0:
        errors["reference_volume_m3"] = ValidationError(
            _("The reference volume must be above zero."),
            code=InspectionErrorCode.REFERENCE_NOT_POSITIVE,
        )
    if registered < 0:
        errors["meter_volume_m3"] = ValidationError(
            _("The meter volume cannot be negative."),
            code=InspectionErrorCode.METER_VOLUME_NEGATIVE,
        )
    elif (
        reference > 0
        and abs(error_percent(meter_volume=registered, reference_volume=reference)) > MAX_ABS_ERROR
    ):
        errors["meter_volume_m3"] = ValidationError(
            _("The meter registered more than twice the reference volume; check the volumes."),
            code=InspectionErrorCode.ERROR_IMPLAUSIBLE,
        )
    pressure = values["pressure_kpa"]
    if pressure is not None and pressure <= 0:
        errors["pressure_kpa"] = ValidationError(
            _("The pressure must be above zero."), code=InspectionErrorCode.PRESSURE_NOT_POSITIVE
        )
    return errors


def check_points(
    points: Sequence[Mapping[str, Any]], *, meter_size: str, stopped: bool, tampered: bool
) -> None:
    """Refuse a test without points (unless the meter is stopped or tampered) or a bad point."""
    if not points and not (stopped or tampered):
        raise _error(
            "points",
            _("Enter at least one test point, or mark the meter stopped or tampered with."),
            InspectionErrorCode.POINTS_REQUIRED,
        )
    messages: list[ValidationError] = []
    for number, point in enumerate(points, start=1):
        for field_errors in point_errors(point, meter_size=meter_size).values():
            messages.extend(
                ValidationError(
                    _("Point %(n)s: %(error)s"),
                    code=field_errors.code,
                    params={"n": local_digits(number), "error": message},
                )
                for message in field_errors.messages
            )
    if messages:
        raise ValidationError({"points": messages})


@dataclass(frozen=True)
class PointResult:
    flow_rate_m3h: Decimal
    error_percent: Decimal
    band: str
    tolerance_percent: Decimal

    @property
    def ratio(self) -> Decimal:
        """How much of its tolerance the point's error uses (above 1: outside it)."""
        return abs(self.error_percent) / self.tolerance_percent


@dataclass(frozen=True)
class Assessment:
    points: tuple[PointResult, ...]
    decisive: PointResult | None
    mean_error_percent: Decimal | None

    @property
    def error_percent(self) -> Decimal | None:
        return self.decisive.error_percent if self.decisive else None

    @property
    def mpe(self) -> Decimal | None:
        return self.decisive.tolerance_percent if self.decisive else None

    @property
    def band(self) -> str:
        return self.decisive.band if self.decisive else ""


def decisive_point(results: Iterable[PointResult]) -> PointResult | None:
    """The point with the largest |E| / tolerance; the first one of equals."""
    decisive = None
    for result in results:
        if decisive is None or result.ratio > decisive.ratio:
            decisive = result
    return decisive


def assess(
    points: Sequence[Mapping[str, Any]],
    *,
    accuracy_class: str,
    meter_size: str,
    bands: Mapping,
    transition_fraction,
) -> Assessment:
    """Compute each point's error, band and tolerance, the decisive point and the mean error.

    Call with points that passed check_points.
    """
    results = []
    for point in points:
        flow = required_decimal(point["flow_rate_m3h"])
        band = flow_band(flow, meter_size=meter_size, transition_fraction=transition_fraction)
        results.append(
            PointResult(
                flow_rate_m3h=flow,
                error_percent=error_percent(
                    meter_volume=required_decimal(point["meter_volume_m3"]),
                    reference_volume=required_decimal(point["reference_volume_m3"]),
                ),
                band=band,
                tolerance_percent=band_tolerance(accuracy_class, band, bands),
            )
        )
    mean = None
    if results:
        total = sum((r.error_percent for r in results), Decimal("0"))
        mean = (total / len(results)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return Assessment(
        points=tuple(results), decisive=decisive_point(results), mean_error_percent=mean
    )


def is_tampered(*, tampering: bool, seal_state: str) -> bool:
    """Tampering, or a broken or missing seal ("Seal broken or meter tampered with")."""
    return bool(tampering) or seal_state != SealState.INTACT


def serial_matches(seen: str, on_record: str) -> bool:
    """Compare serials as people write them: any digits, any case, spaces ignored."""

    def canonical(serial: str) -> str:
        return "".join(normalize_input(serial or "").split()).upper()

    return canonical(seen) == canonical(on_record)


def check_equipment(equipment, *, test_type: str, on_date: datetime.date, needed: bool) -> None:
    """Refuse missing, inactive, wrong-kind or out-of-calibration equipment."""
    if equipment is None:
        if needed:
            raise _error(
                "equipment",
                _("Choose the bench or prover the meter was tested with."),
                InspectionErrorCode.EQUIPMENT_REQUIRED,
            )
        return
    if not equipment.active:
        raise _error(
            "equipment",
            _("%(equipment)s is out of service; choose another."),
            InspectionErrorCode.EQUIPMENT_INACTIVE,
            equipment=equipment.identifier,
        )
    expected = EQUIPMENT_FOR_TEST.get(test_type)
    if expected is not None and equipment.kind != expected:
        raise _error(
            "equipment",
            _("%(equipment)s is a %(kind)s; this test needs a %(expected)s."),
            InspectionErrorCode.EQUIPMENT_WRONG_KIND,
            equipment=equipment.identifier,
            kind=equipment.get_kind_display(),
            expected=expected.label,
        )
    if equipment.calibration_due < on_date:
        raise _error(
            "equipment",
            _(
                "%(equipment)s was due for calibration on %(date)s; a test on it is not "
                "valid. Use calibrated equipment."
            ),
            InspectionErrorCode.EQUIPMENT_OUT_OF_CALIBRATION,
            equipment=equipment.identifier,
            date=format_date(equipment.calibration_due),
        )


def check_tested_at(tested_at: datetime.datetime, *, now: datetime.datetime) -> None:
    if tested_at > now:
        raise _error(
            "tested_at",
            _("The test time cannot be in the future."),
            InspectionErrorCode.TESTED_IN_FUTURE,
        )


def check_photo(*, head: bytes, size: int, limit: int) -> str:
    """Return the content type of a photo read from its first bytes, or refuse it."""
    if size > limit:
        raise _error(
            "photos",
            _("A photo is too large; at most %(mb)s MB is allowed."),
            CommonErrorCode.PHOTO_TOO_LARGE,
            mb=f"{limit / (1024 * 1024):g}",
        )
    content_type = uploads.sniff(head, uploads.IMAGES)
    if content_type:
        return content_type
    raise _error(
        "photos", _("A photo must be a JPEG or PNG image."), CommonErrorCode.PHOTO_WRONG_TYPE
    )


def check_photo_count(count: int, *, limit: int) -> None:
    if count > limit:
        raise _error(
            "photos",
            _("At most %(n)s photos can be attached to a test."),
            CommonErrorCode.TOO_MANY_PHOTOS,
            n=local_digits(limit),
        )
