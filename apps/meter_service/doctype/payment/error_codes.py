"""Error codes of payment documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    """Why a payment action or check was refused."""

    AMOUNT_CHANGED = "amount_changed"
    CLAIM_NOT_PAYABLE = "claim_not_payable"
    GATEWAY_ERROR = "gateway_error"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    NOT_NEXT_BILL = "not_next_bill"
    NOT_PAID = "not_paid"
    PAID_OTHERWISE = "paid_otherwise"
    UNKNOWN_PAYMENT = "unknown_payment"
    VERIFY_MISMATCH = "verify_mismatch"
    WRONG_PAYMENT_METHOD = "wrong_payment_method"


def gateway_refusal_code(bank_code: int | str) -> str:
    """The code of a payment the bank refused to verify: "gateway_" and the bank's own code
    (its codes are the bank's to add to, so they are not listed here)."""
    return f"gateway_{bank_code}"
