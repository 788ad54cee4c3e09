"""Tracking codes: ten digits a subscriber can read out or key into the IVR.

Nine random digits from a cryptographic source and a Verhoeff check digit, which catches
every single-digit slip and every swap of two neighbouring digits.
"""

from __future__ import annotations

import secrets

from apps.meter_service.core.identifiers import (
    TRACKING_CODE_LENGTH,
    clean_digits,
    is_valid_tracking_code,
)

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)
LENGTH = TRACKING_CODE_LENGTH


def verhoeff_check_digit(digits: str) -> int:
    """Return the Verhoeff check digit for a string of ASCII digits."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return _INV[c]


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
    return f"{code[:3]}-{code[3:6]}-{code[6:]}"


def display_local(code: str) -> str:
    """A tracking code grouped for reading aloud, in the active language's digits."""
    from apps.meter_service.core.display import local_digits

    return local_digits(display(code or ""))
