"""Error codes of bill documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class BillErrorCode(StrEnum):
    """Why a bill action or check was refused."""

    BILL_NOT_SUBSCRIBERS = "bill_not_subscribers"
    BILL_PERIOD_OVERLAP = "bill_period_overlap"
    VOLUME_MISMATCH = "volume_mismatch"
