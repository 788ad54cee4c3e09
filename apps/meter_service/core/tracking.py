"""Tracking codes: ten digits a subscriber can read out or key into the IVR.

Nine random digits from a cryptographic source and a Verhoeff check digit, which catches
every single-digit slip and every swap of two neighbouring digits.
"""

from __future__ import annotations

import secrets

from apps.meter_service.core.display import group_code, local_digits
from apps.meter_service.core.identifiers import (
    TRACKING_CODE_LENGTH,
    clean_digits,
    is_valid_tracking_code,
    verhoeff_check_digit,
)

LENGTH = TRACKING_CODE_LENGTH


def is_valid(code: str) -> bool:
    """Return True for a well-formed tracking code (any digits, dashes and spaces allowed):
    the rules of identifiers.normalize_tracking_code, which every door reads codes with."""
    return is_valid_tracking_code(code)


def normalize(code: str) -> str:
    """Return the code as ASCII digits without separators (no validation)."""
    return clean_digits(str(code))


def generate() -> str:
    """Return a new random tracking code (uniqueness is the caller's to check)."""
    body = str(secrets.randbelow(9 * 10**8) + 10**8)  # nine digits, no leading zero
    return body + str(verhoeff_check_digit(body))


def display(code: str) -> str:
    """Group a code for reading aloud: 123-456-7890."""
    return group_code(code)


def display_local(code: str) -> str:
    """A tracking code grouped for reading aloud, in the active language's digits."""
    return local_digits(display(code or ""))
