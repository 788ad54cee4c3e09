"""Error codes that belong to no one doctype: shared checks, the API, identifiers, the
sites' own forms. Each doctype's error_codes.py holds its own; every value is unique in
the app (tests/test_error_codes.py) and is part of the API, so never change one."""

from enum import StrEnum


class CommonErrorCode(StrEnum):
    """Codes several doctypes and forms raise: Django's own and shared checks."""

    EMPTY = "empty"
    FILE_TYPE = "file_type"
    INVALID = "invalid"
    INVALID_CHOICE = "invalid_choice"
    NO_MATCH = "no_match"
    NO_METER = "no_meter"
    NO_SUBSCRIBER = "no_subscriber"
    NOT_DRAFT = "not_draft"
    PHOTO_TOO_LARGE = "photo_too_large"
    PHOTO_WRONG_TYPE = "photo_wrong_type"
    REQUIRED = "required"
    TOO_LARGE = "too_large"
    TOO_MANY_PHOTOS = "too_many_photos"


class ApiErrorCode(StrEnum):
    """Codes of the API's own refusals and of the error pages (extra.code)."""

    CONFLICT = "conflict"
    CSRF_FAILED = "csrf_failed"
    ERROR = "error"
    NO_SUCH_CLAIM = "no_such_claim"
    NO_SUCH_SUBSCRIPTION = "no_such_subscription"
    NOT_FOUND = "not_found"
    PAYMENT_CONFIRMING = "payment_confirming"
    PERMISSION_DENIED = "permission_denied"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SUBSCRIBER_NOT_IDENTIFIED = "subscriber_not_identified"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    TOO_MANY = "too_many"


class IdentifierErrorCode(StrEnum):
    """Codes of identifiers.IdentifierError: which rule a number breaks."""

    BILL_ID_CHECKSUM = "bill_id_checksum"
    BILL_ID_FORMAT = "bill_id_format"
    BILL_ID_LENGTH = "bill_id_length"
    BILL_ID_NOT_CANONICAL = "bill_id_not_canonical"
    BILL_ID_NOT_GAS = "bill_id_not_gas"
    MOBILE_FORMAT = "mobile_format"
    MOBILE_NOT_CANONICAL = "mobile_not_canonical"
    NATIONAL_ID_CHECKSUM = "national_id_checksum"
    NATIONAL_ID_FORMAT = "national_id_format"
    NATIONAL_ID_INVALID = "national_id_invalid"
    NATIONAL_ID_LENGTH = "national_id_length"
    NATIONAL_ID_NOT_CANONICAL = "national_id_not_canonical"
    NATIONAL_LEGAL_ID_CHECKSUM = "national_legal_id_checksum"
    NATIONAL_LEGAL_ID_FORMAT = "national_legal_id_format"
    NATIONAL_LEGAL_ID_INVALID = "national_legal_id_invalid"
    NATIONAL_LEGAL_ID_LENGTH = "national_legal_id_length"
    NATIONAL_LEGAL_ID_NOT_CANONICAL = "national_legal_id_not_canonical"
    PAYMENT_ID_CHECKSUM = "payment_id_checksum"
    PAYMENT_ID_FORMAT = "payment_id_format"
    PAYMENT_ID_LENGTH = "payment_id_length"
    PAYMENT_ID_NOT_CANONICAL = "payment_id_not_canonical"
    PAYMENT_ID_MISMATCH = "payment_id_mismatch"
    SUBSCRIPTION_NUMBER_FORMAT = "subscription_number_format"
    SUBSCRIPTION_NUMBER_LENGTH = "subscription_number_length"
    TRACKING_CODE_CHECKSUM = "tracking_code_checksum"
    TRACKING_CODE_FORMAT = "tracking_code_format"
    TRACKING_CODE_LENGTH = "tracking_code_length"


class SiteErrorCode(StrEnum):
    """Codes of the portal's, the offices' and the desk's own forms and uploads."""

    BAD_CODE = "bad_code"
    BAD_LAST4 = "bad_last4"
    DIGITS_ONLY = "digits_only"
    IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
    LOCKED = "locked"
    NO_SUBSCRIPTION = "no_subscription"
    RANGE_REVERSED = "range_reversed"
