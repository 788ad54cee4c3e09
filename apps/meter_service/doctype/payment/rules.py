"""Rules of payments: pure checks that raise ValidationError with a code, and predicates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import format_rial
from apps.meter_service.doctype.claim import rules as claim_rules
from apps.meter_service.doctype.claim.models import Claim, PaymentMethod
from apps.meter_service.doctype.payment.error_codes import PaymentErrorCode

# How a fee is collected -> the payment methods chosen at filing that it may settle. The
# service desk may also take in person the fee of a claim meant to be paid online.
SETTLES: dict[str, set[str]] = {
    PaymentMethod.GATEWAY: {PaymentMethod.GATEWAY},
    PaymentMethod.COUNTER_OFFICE: {PaymentMethod.COUNTER_OFFICE},
    PaymentMethod.IN_PERSON: {PaymentMethod.IN_PERSON, PaymentMethod.GATEWAY},
}

FEE_DESCRIPTION = _("Meter test fee, claim %(code)s")
WRONG_METHOD_MESSAGE = _("This claim's fee is not paid this way (it is to be paid: %(method)s).")
NOT_NEXT_BILL_MESSAGE = _("Only a claim whose fee goes on the next gas bill gets a bill charge.")
AMOUNT_MISMATCH_REASON = _("The gateway confirmed a different amount (%(amount)s Rial).")
AUTHORITY_MISMATCH_REASON = _("The gateway confirmed a different payment.")
NOT_PAID_REASON = _("The payment was not completed at the bank.")
VERIFY_REFUSED_REASON = _("The gateway did not confirm the payment (code %(code)s).")
AMOUNT_CHANGED_REASON = _(
    "The amount of this payment is not the claim's fee; it was not confirmed."
)
CLAIM_NOT_PAYABLE_REASON = _(
    "The claim no longer awaits payment; the payment was not confirmed and the bank returns "
    "the money."
)
PAID_OTHERWISE_REASON = _("The fee was paid another way.")


def check_can_pay(claim: Claim, *, method: str) -> None:
    """Refuse a payment unless the claim awaits payment and this method may settle it."""
    claim_rules.check_can_pay(claim)
    if claim.payment_method not in SETTLES.get(method, set()):
        raise ValidationError(
            WRONG_METHOD_MESSAGE,
            code=PaymentErrorCode.WRONG_PAYMENT_METHOD,
            params={"method": claim.get_payment_method_display()},
        )


def check_next_bill(claim: Claim) -> None:
    if claim.payment_method != PaymentMethod.NEXT_BILL:
        raise ValidationError(NOT_NEXT_BILL_MESSAGE, code=PaymentErrorCode.NOT_NEXT_BILL)


def verify_mismatch(raw: dict[str, Any], *, authority: str, amount_rial: int) -> str:
    """Return why a verified answer is not about our payment, or "" when it is.

    ZarinPal's answer need not repeat the amount or the authority; when it does, they must
    be ours (a replayed or forged answer about another payment must not pay this claim).
    """
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, dict):
        return ""
    if "authority" in data and str(data["authority"]) != authority:
        return str(AUTHORITY_MISMATCH_REASON)
    if "amount" in data:
        try:
            amount = int(data["amount"])
        except (TypeError, ValueError):
            amount = None
        if amount is None:
            return str(AUTHORITY_MISMATCH_REASON)
        if amount != amount_rial:
            return str(AMOUNT_MISMATCH_REASON % {"amount": format_rial(amount)})
    return ""
