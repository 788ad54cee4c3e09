"""Error codes of subscriber documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class SubscriberErrorCode(StrEnum):
    """Why a subscriber action or check was refused."""

    BILL_ID_COMPANY = "bill_id_company"
    BILL_ID_SUBSCRIPTION_MISMATCH = "bill_id_subscription_mismatch"
    NOT_ALLOWED = "not_allowed"
    SUBSCRIPTION_NUMBER = "subscription_number"
    UNKNOWN_SUBSCRIBER = "unknown_subscriber"
