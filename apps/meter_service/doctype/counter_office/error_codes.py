"""Error codes of counter office documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class CounterOfficeErrorCode(StrEnum):
    """Why a counter office action or check was refused."""

    NOT_OPERATOR = "not_operator"
    OFFICE_CODE = "office_code"
