"""Rules of sign-in codes: settings, code making and hashing, rate limits, verification.

Pure functions: no queries, no writes. The limits are settings in settings.METER_SERVICE,
read at each call (their defaults: apps/meter_service/core/rule_settings.py).
"""

from __future__ import annotations

import datetime
import math
import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.identifiers import (
    IdentifierError,
    clean_digits,
    normalize_subscription_key,
)
from apps.meter_service.core.types import StrOrPromise
from apps.meter_service.doctype.otp.error_codes import OtpErrorCode
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.doctype.rule_setting.selectors import rule_value

IDENTIFIER_MAX_LENGTH = 13
HASH_ALGORITHM = "hmac-sha256"
_HMAC_SALT = "apps.meter_service.otp"

INVALID_IDENTIFIER_MESSAGE = _("Enter your subscription number or the bill ID of your gas bill.")
# What the portal shows after a request, whether or not the subscription exists; it names
# what was typed, so a mistyped number reads as "if this one is ours", not "code sent".
CODE_SENT_MESSAGE = _("If this subscription exists, a code was sent to its mobile on record.")
CODE_SENT_MESSAGES = {
    "subscription_number": _(
        "If subscription number %(identifier)s is ours, a code was sent to its mobile on record."
    ),
    "bill_id": _("If bill ID %(identifier)s is ours, a code was sent to its mobile on record."),
    "either": _(
        "If %(identifier)s is one of our subscription numbers or bill IDs, a code was sent "
        "to its mobile on record."
    ),
}
RESEND_WAIT_MESSAGE = _("Wait %(seconds)s seconds before asking for another code.")
SUBSCRIPTION_LIMIT_MESSAGE = _(
    "Too many codes were asked for this subscription. Try again in %(minutes)s minutes."
)
IP_LIMIT_MESSAGE = _(
    "Too many codes were asked from your connection. Try again in %(minutes)s minutes."
)
CODE_FORMAT_MESSAGE = _("Enter the %(length)s-digit code from the SMS.")
WRONG_CODE_MESSAGE = _("The code is not correct. Tries left: %(left)s.")
EXPIRED_MESSAGE = _("This code has expired. Ask for a new one.")
USED_MESSAGE = _("This code was already used. Ask for a new one.")
LOCKED_MESSAGE = _("Too many wrong codes. Ask for a new one.")


def otp_setting(name: str) -> int:
    """Return an OTP setting in force (the desk's change, else settings.METER_SERVICE)."""
    return int(rule_value(name))


def normalize_identifier(text: str) -> str:
    """Return a subscription number or bill ID in canonical form (leading zeros dropped).

    Read as every other door reads it (identifiers.normalize_subscription_key): Persian and
    Arabic-Indic digits, spaces, dashes and direction marks are accepted; more than 8 digits
    must be a valid gas bill ID, and a wrong check digit is named as such.
    """
    try:
        key = normalize_subscription_key(text or "")
    except IdentifierError as error:
        # A bill ID with a wrong check digit or of another service is named as such; any
        # other malformed input gets the general hint.
        if error.code in (
            IdentifierErrorCode.BILL_ID_CHECKSUM,
            IdentifierErrorCode.BILL_ID_NOT_GAS,
        ):
            raise validators.validation_error(error) from error
        raise ValidationError(
            INVALID_IDENTIFIER_MESSAGE, code=OtpErrorCode.OTP_IDENTIFIER
        ) from error
    identifier = key.subscription_number or key.bill_id
    assert identifier is not None  # a key is one or both, never neither
    return identifier


def identifier_kind(identifier: str) -> str:
    """Return what a normalised identifier may be: "subscription_number", "bill_id" or
    "either" (6 to 8 digits that are also a valid gas bill ID)."""
    key = normalize_subscription_key(identifier)
    if key.subscription_number and key.bill_id:
        return "either"
    return "bill_id" if key.bill_id else "subscription_number"


def code_sent_message(identifier: str) -> str:
    """Return what the portal says after a code is asked for, naming what was typed
    (shown with the digits of the active language by the caller's template)."""
    return CODE_SENT_MESSAGES[identifier_kind(identifier)] % {"identifier": identifier}


def normalize_code(text: str, *, length: int) -> str:
    """Return a typed code as ASCII digits, or raise when it cannot be a code at all."""
    digits = clean_digits(text or "")
    if len(digits) != length or not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            CODE_FORMAT_MESSAGE, code=OtpErrorCode.OTP_FORMAT, params={"length": length}
        )
    return digits


def generate_code(length: int) -> str:
    """Return a random code of `length` digits from the operating system's secure source."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def hash_code(code: str, *, salt: str | None = None) -> str:
    """Return "hmac-sha256$salt$digest": an HMAC of the code keyed by SECRET_KEY and a salt.

    A slow password hash buys nothing for a six-digit code that lives two minutes: without
    SECRET_KEY the digest cannot be checked at all, and with it any hash would fall quickly.
    """
    salt = salt or get_random_string(16)
    digest = salted_hmac(_HMAC_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()
    return f"{HASH_ALGORITHM}${salt}${digest}"


def code_matches(code: str, stored: str) -> bool:
    """Return whether code is the one hashed in stored, in constant time."""
    algorithm, _sep, rest = stored.partition("$")
    salt, _sep, _digest = rest.partition("$")
    if algorithm != HASH_ALGORITHM or not salt:
        return False
    return constant_time_compare(hash_code(code, salt=salt), stored)


def _minutes_until(moment: datetime.datetime, now: datetime.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def check_resend(*, last_sent: datetime.datetime | None, now: datetime.datetime) -> None:
    """Refuse a new code sooner than OTP_RESEND_SECONDS after the last one."""
    if last_sent is None:
        return
    wait = otp_setting("OTP_RESEND_SECONDS") - (now - last_sent).total_seconds()
    if wait > 0:
        raise ValidationError(
            RESEND_WAIT_MESSAGE,
            code=OtpErrorCode.OTP_RESEND_WAIT,
            params={"seconds": math.ceil(wait)},
        )


def check_window(
    *,
    recent: Sequence[datetime.datetime],
    limit: int,
    now: datetime.datetime,
    message: StrOrPromise,
    code: str,
) -> None:
    """Refuse when `limit` codes were already asked in the window (`recent`, oldest first)."""
    if len(recent) < limit:
        return
    window = datetime.timedelta(seconds=otp_setting("OTP_WINDOW_SECONDS"))
    frees_at = recent[len(recent) - limit] + window
    raise ValidationError(message, code=code, params={"minutes": _minutes_until(frees_at, now)})


def check_can_verify(challenge: OtpChallenge, *, now: datetime.datetime) -> None:
    """Refuse a challenge that is used, expired or out of tries."""
    if challenge.used_at is not None:
        raise ValidationError(USED_MESSAGE, code=OtpErrorCode.OTP_USED)
    if now >= challenge.expires_at:
        raise ValidationError(EXPIRED_MESSAGE, code=OtpErrorCode.OTP_EXPIRED)
    if challenge.attempts >= otp_setting("OTP_MAX_ATTEMPTS"):
        raise ValidationError(LOCKED_MESSAGE, code=OtpErrorCode.OTP_LOCKED)


def wrong_code_error(challenge: OtpChallenge) -> ValidationError:
    """Return the error for a wrong code, saying how many tries are left."""
    left = max(0, otp_setting("OTP_MAX_ATTEMPTS") - challenge.attempts)
    if left == 0:
        return ValidationError(LOCKED_MESSAGE, code=OtpErrorCode.OTP_LOCKED)
    return ValidationError(WRONG_CODE_MESSAGE, code=OtpErrorCode.OTP_WRONG, params={"left": left})
