"""Error codes of claim documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class ClaimErrorCode(StrEnum):
    """Why a claim action or check was refused."""

    AGENCY_REQUIRED = "agency_required"
    BILL_NOT_ON_FILE = "bill_not_on_file"
    BILL_NOT_RECENT = "bill_not_recent"
    BILL_PAIR_INCOMPLETE = "bill_pair_incomplete"
    BILL_REQUIRED = "bill_required"
    CALLER_PROOF = "caller_proof"
    CANNOT_CANCEL = "cannot_cancel"
    EXTRA_FIELDS_INVALID = "extra_fields_invalid"
    IDENTITY_AMBIGUOUS = "identity_ambiguous"
    NO_METER_INSTALLED = "no_meter_installed"
    NOT_PAYABLE = "not_payable"
    OFFICE_REQUIRED = "office_required"
    OPEN_CLAIM_EXISTS = "open_claim_exists"
    PAYMENT_METHOD_NOT_OFFERED = "payment_method_not_offered"
    PROCESS_REFUSED_CANCEL = "process_refused_cancel"
    READING_BEFORE_RECORD = "reading_before_record"
    READING_BELOW_RECORD = "reading_below_record"
    READING_FUTURE = "reading_future"
    READING_IMPLAUSIBLE = "reading_implausible"
    READING_TOO_OLD = "reading_too_old"
    REASON_TEXT_REQUIRED = "reason_text_required"
    SCAN_TOO_LARGE = "scan_too_large"
    SCAN_WRONG_TYPE = "scan_wrong_type"
