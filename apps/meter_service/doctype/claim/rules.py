"""Rules of a claim: pure checks that raise ValidationError with a code, and predicates."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import identifiers, uploads
from apps.meter_service.core.display import code_text
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.bill.error_codes import BillErrorCode
from apps.meter_service.doctype.claim.error_codes import ClaimErrorCode
from apps.meter_service.doctype.claim.models import (
    Channel,
    ClaimReason,
    ClaimStatus,
    PaymentMethod,
)
from apps.meter_service.doctype.rule_setting.selectors import rule_value

# Maximum flow (m³/h) by meter size (EN 1359 / OIML R137 designations), for the upper bound
# of a plausible reading: no meter registers more than its Qmax around the clock.
QMAX_BY_SIZE = {
    "G1.6": Decimal("2.5"),
    "G2.5": Decimal("4"),
    "G4": Decimal("6"),
    "G6": Decimal("10"),
    "G10": Decimal("16"),
    "G16": Decimal("25"),
    "G25": Decimal("40"),
    "G40": Decimal("65"),
    "G65": Decimal("100"),
    "G100": Decimal("160"),
}

PAYMENT_METHODS_BY_CHANNEL: dict[str, set[str]] = {
    Channel.WEB: {PaymentMethod.GATEWAY, PaymentMethod.NEXT_BILL},
    Channel.COUNTER_OFFICE: {PaymentMethod.COUNTER_OFFICE},
    Channel.IN_PERSON: {PaymentMethod.IN_PERSON, PaymentMethod.NEXT_BILL},
    Channel.AGENCY: {PaymentMethod.GATEWAY, PaymentMethod.NEXT_BILL},
    Channel.PHONE: {PaymentMethod.NEXT_BILL},
}


def _error(field: str, message, error_code: str, **params) -> ValidationError:
    return ValidationError(
        {field: ValidationError(message, code=error_code, params=params or None)}
    )


def rule_setting(name: str):
    """A rule setting; every one has its default in rule_settings.RULES."""
    return rule_value(name)


def check_no_open_claim(open_claim) -> None:
    """Refuse a second open claim on a meter, naming the open one."""
    if open_claim is not None:
        raise _error(
            "meter",
            _(
                "Meter %(serial)s already has an open claim, tracking code %(code)s; "
                "follow that claim instead of filing a new one."
            ),
            ClaimErrorCode.OPEN_CLAIM_EXISTS,
            serial=open_claim.meter.serial,
            code=code_text(open_claim.tracking_code),
        )


def check_reading(
    *,
    reading: Decimal,
    reading_date: datetime.date,
    today: datetime.date,
    previous_reading: Decimal,
    previous_date: datetime.date,
    meter_size: str,
) -> None:
    """Check the last reading against the last one on record and what the meter can pass."""
    if reading_date > today:
        raise _error(
            "last_reading_date",
            _("The reading date cannot be in the future."),
            ClaimErrorCode.READING_FUTURE,
        )
    max_age = int(rule_setting("LAST_READING_MAX_AGE_DAYS"))
    if (today - reading_date).days > max_age:
        raise _error(
            "last_reading_date",
            _("The reading is older than %(days)s days; read the meter again."),
            ClaimErrorCode.READING_TOO_OLD,
            days=max_age,
        )
    if reading_date < previous_date:
        raise _error(
            "last_reading_date",
            _("The reading date is before the last reading on record (%(date)s)."),
            ClaimErrorCode.READING_BEFORE_RECORD,
            date=format_date(previous_date),
        )
    if reading < previous_reading:
        raise _error(
            "last_reading",
            _("The reading cannot be below the last reading on record (%(reading)s m³)."),
            ClaimErrorCode.READING_BELOW_RECORD,
            reading=f"{previous_reading.normalize():f}",
        )
    hours = Decimal(max((reading_date - previous_date).days + 1, 1) * 24)
    ceiling = previous_reading + QMAX_BY_SIZE.get(meter_size, Decimal("160")) * hours
    if reading > ceiling:
        raise _error(
            "last_reading",
            _(
                "The reading is more than a %(size)s meter can pass since the last reading "
                "on record; check the digits."
            ),
            ClaimErrorCode.READING_IMPLAUSIBLE,
            size=meter_size,
        )


def check_bill(*, subscriber_bill_id: str, bill_id: str, payment_id: str, has_scan: bool) -> None:
    """Check the last settled bill: a bill ID and payment ID pair, or a scan, or both."""
    if not (bill_id or payment_id) and not has_scan:
        raise _error(
            "last_bill_id",
            _("Give the last settled bill: its bill ID and payment ID, or a scan of it."),
            ClaimErrorCode.BILL_REQUIRED,
        )
    if bill_id or payment_id:
        if not (bill_id and payment_id):
            field = "last_payment_id" if bill_id else "last_bill_id"
            raise _error(
                field,
                _("Give both the bill ID and the payment ID."),
                ClaimErrorCode.BILL_PAIR_INCOMPLETE,
            )
        if bill_id != subscriber_bill_id:
            raise _error(
                "last_bill_id",
                _("This bill ID is not the bill ID of this subscription."),
                BillErrorCode.BILL_NOT_SUBSCRIBERS,
            )
        if not identifiers.is_valid_payment_id(payment_id, bill_id=bill_id):
            raise _error(
                "last_payment_id",
                _("This payment ID does not belong to this bill ID."),
                IdentifierErrorCode.PAYMENT_ID_MISMATCH,
            )


def last_bill_recent_count() -> int:
    """How many of a subscription's latest bills (by period) count as recent enough to be
    the "last settled bill" of a claim: the newest may still be unpaid, so a few."""
    return max(1, int(rule_setting("LAST_BILL_RECENT_COUNT")))


def check_bill_on_file(
    *,
    bill_id: str,
    payment_id: str,
    recent_bills: list[tuple[str, str]],
    older_match: bool,
    recent_count: int,
) -> None:
    """Check a last-settled-bill pair against the subscription's bills on file.

    `recent_bills` are the (bill ID, payment ID) pairs of the subscription's latest
    `recent_count` bills, newest first; `older_match` says whether the pair is one of its
    older bills. With no bill on file there is nothing to check against, and a
    checksum-valid pair stands. Otherwise the pair must be one of the recent bills: a pair
    the billing system never issued, or a bill long gone, is refused.
    """
    if not (bill_id and payment_id) or not recent_bills:
        return
    if (bill_id, payment_id) in recent_bills:
        return
    if older_match:
        raise _error(
            "last_payment_id",
            _(
                "This is an older bill of this subscription; give the last settled bill "
                "(one of its latest %(count)s bills)."
            ),
            ClaimErrorCode.BILL_NOT_RECENT,
            count=recent_count,
        )
    raise _error(
        "last_payment_id",
        _(
            "This bill ID and payment ID match none of this subscription's bills on file; "
            "check the payment ID printed on the last settled bill."
        ),
        ClaimErrorCode.BILL_NOT_ON_FILE,
    )


def check_scan(*, head: bytes, size: int) -> str:
    """Return the content type of a bill scan read from its first bytes, or refuse it."""
    limit = int(rule_setting("SCAN_MAX_BYTES"))
    if size > limit:
        raise _error(
            "last_bill_scan",
            _("The scan is too large; at most %(mb)s MB is allowed."),
            ClaimErrorCode.SCAN_TOO_LARGE,
            mb=limit // (1024 * 1024),
        )
    content_type = uploads.sniff(head)
    if content_type:
        return content_type
    raise _error(
        "last_bill_scan",
        _("The scan must be a PDF, JPEG or PNG file."),
        ClaimErrorCode.SCAN_WRONG_TYPE,
    )


def check_channel(*, channel: str, payment_method: str, counter_office, agency) -> None:
    if channel == Channel.COUNTER_OFFICE and counter_office is None:
        raise _error(
            "counter_office", _("Choose the counter office."), ClaimErrorCode.OFFICE_REQUIRED
        )
    if channel == Channel.AGENCY and agency is None:
        raise _error("agency", _("Choose the agency."), ClaimErrorCode.AGENCY_REQUIRED)
    if payment_method not in PAYMENT_METHODS_BY_CHANNEL.get(channel, set()):
        raise _error(
            "payment_method",
            _("This payment method is not offered on this channel."),
            ClaimErrorCode.PAYMENT_METHOD_NOT_OFFERED,
        )


def check_extra_fields(values: dict[str, object]) -> dict[str, object]:
    """The claim form's answers as kept: a small object of plain values by field key."""
    plain = all(
        isinstance(key, str)
        and len(key) <= 64
        and (value is None or isinstance(value, str | int | float | bool))
        for key, value in values.items()
    )
    if not plain or len(values) > 100 or sum(len(str(v)) for v in values.values()) > 10_000:
        raise ValidationError(
            _("The claim's further details cannot be kept."),
            code=ClaimErrorCode.EXTRA_FIELDS_INVALID,
        )
    return dict(values)


def check_reason(*, reason: str, reason_text: str) -> None:
    if reason == ClaimReason.OTHER and not reason_text.strip():
        raise _error("reason_text", _("Describe the problem."), ClaimErrorCode.REASON_TEXT_REQUIRED)


def can_cancel(claim) -> bool:
    """A claim can be cancelled by its filer only while nothing has been paid."""
    return claim.status == ClaimStatus.AWAITING_PAYMENT


def check_can_cancel(claim) -> None:
    if not can_cancel(claim):
        raise ValidationError(
            _("Only an unpaid claim can be cancelled; this one is %(status)s."),
            code=ClaimErrorCode.CANNOT_CANCEL,
            params={"status": claim.get_status_display()},
        )


def can_pay(claim) -> bool:
    """A claim takes a payment only while it awaits one."""
    return claim.status == ClaimStatus.AWAITING_PAYMENT


def check_can_pay(claim) -> None:
    if not can_pay(claim):
        raise ValidationError(
            _("This claim is not awaiting payment (it is %(status)s)."),
            code=ClaimErrorCode.NOT_PAYABLE,
            params={"status": claim.get_status_display()},
        )


NO_METER_MESSAGE = _("No meter is installed at this subscription; call the service desk.")
CLOSED_MESSAGE = _("This claim has ended and cannot be changed.")
