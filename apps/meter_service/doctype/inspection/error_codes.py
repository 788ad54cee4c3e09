"""Error codes of inspection documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class InspectionErrorCode(StrEnum):
    """Why a inspection action or check was refused."""

    EQUIPMENT_INACTIVE = "equipment_inactive"
    EQUIPMENT_OUT_OF_CALIBRATION = "equipment_out_of_calibration"
    EQUIPMENT_REQUIRED = "equipment_required"
    EQUIPMENT_WRONG_KIND = "equipment_wrong_kind"
    ERROR_IMPLAUSIBLE = "error_implausible"
    FLOW_ABOVE_QMAX = "flow_above_qmax"
    FLOW_NOT_POSITIVE = "flow_not_positive"
    METER_VOLUME_NEGATIVE = "meter_volume_negative"
    NO_TOLERANCE = "no_tolerance"
    NOT_AT_TEST_STEP = "not_at_test_step"
    POINTS_REQUIRED = "points_required"
    PRESSURE_NOT_POSITIVE = "pressure_not_positive"
    REFERENCE_NOT_POSITIVE = "reference_not_positive"
    TESTED_IN_FUTURE = "tested_in_future"
    UNKNOWN_SIZE = "unknown_size"
