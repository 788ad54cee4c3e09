"""Error codes of correction documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class CorrectionErrorCode(StrEnum):
    """Why a correction action or check was refused."""

    BILL_EXISTS = "bill_exists"
    CANNOT_COMPUTE = "cannot_compute"
    NO_INSTALL = "no_install"
    NO_TEST = "no_test"
    NOT_AWAITING = "not_awaiting"
    WRONG_STEP = "wrong_step"
