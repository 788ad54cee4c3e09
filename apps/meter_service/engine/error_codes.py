"""Error codes of process documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class ProcessErrorCode(StrEnum):
    """Why a process action or check was refused."""

    DRAFT = "draft"
    FILE_DOCTYPE = "file_doctype"
    FILE_ENCODING = "file_encoding"
    FILE_NAME = "file_name"
    FILE_SIZE = "file_size"
    FILE_TWICE = "file_twice"
    INVALID_FORM = "invalid_form"
    INVALID_PROCESS = "invalid_process"
    MIGRATION_REFUSED = "migration_refused"
    NO_SUCH_TASK = "no_such_task"
    PROCESS_CONFLICT = "process_conflict"
    SAME_FILES = "same_files"
    TOO_MANY_FILES = "too_many_files"
    UNKNOWN_FORM_FIELD = "unknown_form_field"
