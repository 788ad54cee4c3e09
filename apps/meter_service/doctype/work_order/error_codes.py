"""Error codes of work order documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class WorkOrderErrorCode(StrEnum):
    """Why a work order action or check was refused."""

    CREW_ROLE = "crew_role"
    NO_REPLACE_TASK = "no_replace_task"
    WORK_ORDER_NOT_OPEN = "work_order_not_open"
