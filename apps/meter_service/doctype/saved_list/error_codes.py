"""Error codes of saved lists and scheduled reports: the `code` of the errors their rules
and services raise. The values are part of the API and of tests: add new ones, never change
one."""

from enum import StrEnum


class SavedListErrorCode(StrEnum):
    """Why a list view or a scheduled report was refused."""

    VIEW_NAME_REQUIRED = "view_name_required"
    VIEW_NAME_TOO_LONG = "view_name_too_long"
    VIEW_UNKNOWN_COLUMN = "view_unknown_column"
    VIEW_NO_COLUMNS = "view_no_columns"
    VIEW_ROLE_NOT_ALLOWED = "view_role_not_allowed"
    REPORT_BAD_HOUR = "report_bad_hour"
