"""Error codes of import batch documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class ImportBatchErrorCode(StrEnum):
    """Why a import batch action or check was refused."""

    BAD_CSV = "bad_csv"
    BAD_XLSX = "bad_xlsx"
    DUPLICATE_COLUMNS = "duplicate_columns"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    EMPTY_FILE = "empty_file"
    ENCODING = "encoding"
    FILE_CHANGED = "file_changed"
    FILE_MISSING = "file_missing"
    FILE_TOO_LARGE = "file_too_large"
    MISSING_COLUMNS = "missing_columns"
    NO_HEADER = "no_header"
    NO_ROWS = "no_rows"
    NOT_CSV = "not_csv"
    NOT_VALID = "not_valid"
    NOT_XLSX = "not_xlsx"
    PARTLY_IMPORTED = "partly_imported"
    TOO_MANY_ROWS = "too_many_rows"
    UNKNOWN_COLUMNS = "unknown_columns"
    UNKNOWN_TARGET = "unknown_target"
