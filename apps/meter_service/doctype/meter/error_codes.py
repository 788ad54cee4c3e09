"""Error codes of meter documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class MeterErrorCode(StrEnum):
    """Why a meter action or check was refused."""

    ALREADY_REMOVED = "already_removed"
    FINAL_BELOW_INITIAL = "final_below_initial"
    INSTALLED_BEFORE_CURRENT = "installed_before_current"
    METER_NOT_IN_STOCK = "meter_not_in_stock"
    REMOVED_BEFORE_INSTALLED = "removed_before_installed"
    SERIAL = "serial"
