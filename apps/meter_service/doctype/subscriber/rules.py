"""Rules of a subscriber record: pure checks, no writes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import code_in_sentence
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.subscriber.error_codes import SubscriberErrorCode


def bill_id_file_code(bill_id: str) -> str:
    """Return the file code (subscription part) of a bill ID, leading zeros stripped."""
    return bill_id[:-5].lstrip("0")


def check_subscriber(subscriber) -> None:
    """Raise ValidationError when the record's fields contradict each other."""
    errors: dict[str, list] = {}
    if subscriber.customer_type == "g2c":
        if not subscriber.national_id:
            errors.setdefault("national_id", []).append(
                ValidationError(
                    _("A citizen subscriber needs a national ID."), code=CommonErrorCode.REQUIRED
                )
            )
        if subscriber.national_legal_id:
            errors.setdefault("national_legal_id", []).append(
                ValidationError(
                    _("Only a business subscriber has a national legal ID."),
                    code=SubscriberErrorCode.NOT_ALLOWED,
                )
            )
    elif subscriber.customer_type == "g2b" and not subscriber.national_legal_id:
        errors.setdefault("national_legal_id", []).append(
            ValidationError(
                _("A business subscriber needs a national legal ID."), code=CommonErrorCode.REQUIRED
            )
        )
    if (
        rule_value("BILL_ID_CONTAINS_SUBSCRIPTION_NUMBER")
        and subscriber.bill_id
        and subscriber.subscription_number
        and len(subscriber.bill_id) >= 6
        and bill_id_file_code(subscriber.bill_id) != subscriber.subscription_number.lstrip("0")
    ):
        errors.setdefault("bill_id", []).append(
            ValidationError(
                _("The bill ID does not belong to subscription number %(number)s."),
                code=SubscriberErrorCode.BILL_ID_SUBSCRIPTION_MISMATCH,
                params={"number": code_in_sentence(subscriber.subscription_number)},
            )
        )
    company_code = rule_value("GAS_COMPANY_CODE") or ""
    if company_code and subscriber.bill_id and subscriber.bill_id[-5:-2] != company_code:
        errors.setdefault("bill_id", []).append(
            ValidationError(
                _("The bill ID was not issued by this gas company (code %(code)s)."),
                code=SubscriberErrorCode.BILL_ID_COMPANY,
                params={"code": company_code},
            )
        )
    if errors:
        raise ValidationError(errors)


def caller_matches(
    subscriber, *, national_id: str = "", national_legal_id: str = "", mobile: str = ""
) -> bool:
    """Return whether a caller's proof (canonical values) is the subscription's on file:
    its holder's national ID or national legal ID, or its mobile on record."""
    return bool(
        (national_id and subscriber.national_id == national_id)
        or (national_legal_id and subscriber.national_legal_id == national_legal_id)
        or (mobile and subscriber.mobile == mobile)
    )
