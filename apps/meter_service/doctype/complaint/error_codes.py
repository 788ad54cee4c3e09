"""Error codes of complaint documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class ComplaintErrorCode(StrEnum):
    """Why a complaint action or check was refused."""

    ALREADY_CLOSED = "already_closed"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ATTACHMENT_WRONG_TYPE = "attachment_wrong_type"
    CHANNEL = "channel"
    CLAIM_NOT_SUBSCRIBERS = "claim_not_subscribers"
    COMPLAINANT_NAME = "complainant_name"
    COMPLAINT_CLOSED = "complaint_closed"
    COMPLAINTS_DAILY_LIMIT = "complaints_daily_limit"
    MOBILE = "mobile"
    NO_CONTACT = "no_contact"
    NOT_AN_OFFICER = "not_an_officer"
    NOT_RESOLVABLE = "not_resolvable"
    RATING_DONE = "rating_done"
    RATING_EXPIRED = "rating_expired"
    RATING_NOT_ASKED = "rating_not_asked"
    RATING_SCORE = "rating_score"
    UNKNOWN_CLAIM = "unknown_claim"
