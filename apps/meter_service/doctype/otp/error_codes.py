"""Error codes of otp documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class OtpErrorCode(StrEnum):
    """Why a otp action or check was refused."""

    OTP_EXPIRED = "otp_expired"
    OTP_FORMAT = "otp_format"
    OTP_IDENTIFIER = "otp_identifier"
    OTP_IP_LIMIT = "otp_ip_limit"
    OTP_LOCKED = "otp_locked"
    OTP_RESEND_WAIT = "otp_resend_wait"
    OTP_SUBSCRIPTION_LIMIT = "otp_subscription_limit"
    OTP_USED = "otp_used"
    OTP_WRONG = "otp_wrong"
    PORTAL_ACCOUNT_UNUSABLE = "portal_account_unusable"
