"""Rules of replacement work orders: pure checks that raise ValidationError, no writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import uploads
from apps.meter_service.core.display import format_quantity, local_digits
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.meter.models import MeterStatus, serial_validator
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.work_order.error_codes import WorkOrderErrorCode
from apps.meter_service.doctype.work_order.models import WorkOrderStatus
from apps.meter_service.permissions import Role, has_role

NOT_OPEN_MESSAGE = _("This work order is not open any more.")
NO_TASK_MESSAGE = _("The claim is not waiting for the meter replacement; reload the work order.")
CREW_ROLE_MESSAGE = _("Only members of the emergency post crew can be named as crew: %(names)s.")
TOO_MANY_PHOTOS_MESSAGE = _("Upload at most %(count)s photos.")


def is_crew(user) -> bool:
    return has_role(user, Role.EMERGENCY_CREW)


def rule_setting(name: str):
    return rule_value(name)


def photo_max_bytes() -> int:
    return int(rule_setting("WORK_ORDER_PHOTO_MAX_BYTES"))


def photo_max_count() -> int:
    return int(rule_setting("WORK_ORDER_MAX_PHOTOS"))


def check_photo(*, name: str, head: bytes, size: int) -> str:
    """Return a photo's content type read from its first bytes, or refuse it."""
    limit = photo_max_bytes()
    if size > limit:
        raise ValidationError(
            _("%(name)s is too large; a photo may be at most %(mb)s MB."),
            code=CommonErrorCode.PHOTO_TOO_LARGE,
            params={"name": name, "mb": local_digits(f"{limit / (1024 * 1024):g}")},
        )
    content_type = uploads.sniff(head, uploads.IMAGES)
    if content_type:
        return content_type
    raise ValidationError(
        _("%(name)s is not a photo; upload JPEG or PNG files."),
        code=CommonErrorCode.PHOTO_WRONG_TYPE,
        params={"name": name},
    )


def check_can_complete(work_order) -> None:
    if work_order.status != WorkOrderStatus.OPEN:
        raise ValidationError(NOT_OPEN_MESSAGE, code=WorkOrderErrorCode.WORK_ORDER_NOT_OPEN)


def check_completion(
    *,
    claim,
    installation,
    done_at: datetime.datetime,
    now: datetime.datetime,
    old_final_reading: Decimal,
    new_serial: str,
    new_initial_reading: Decimal,
    new_meter,
    new_meter_installed: bool,
    crew,
    old_serial: str,
    old_serial_seen: str = "",
) -> None:
    """Raise one ValidationError with every field's problem, or nothing.

    `installation` is the old meter's current installation at the claim's subscription
    (None when it has none); `new_meter` the meter registered under `new_serial`, if any.
    """
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message, code: str, **params) -> None:
        errors.setdefault(field, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    if done_at > now:
        add("done_at", _("The replacement cannot be in the future."), "done_in_future")
    if installation is None:
        add(
            "__all__",
            _("Meter %(serial)s is not installed at this subscription any more."),
            "old_meter_not_installed",
            serial=old_serial,
        )
    elif done_at.date() < installation.installed_on:
        add(
            "done_at",
            _("The replacement cannot be before the old meter was installed (%(date)s)."),
            "done_before_installed",
            date=format_date(installation.installed_on),
        )
    if old_final_reading < claim.last_reading:
        add(
            "old_final_reading",
            _("The final reading cannot be below the reading on the claim (%(reading)s)."),
            "final_below_claim_reading",
            reading=format_quantity(claim.last_reading),
        )
    elif installation is not None and old_final_reading < installation.initial_reading:
        add(
            "old_final_reading",
            _("The final reading cannot be below the initial reading (%(reading)s)."),
            "final_below_initial",
            reading=format_quantity(installation.initial_reading),
        )
    if new_initial_reading < 0:
        add("new_initial_reading", _("A reading cannot be negative."), "negative_reading")
    try:
        serial_validator(new_serial)
    except ValidationError as error:
        errors.setdefault("new_serial", []).append(error)
    else:
        if new_serial.upper() == old_serial.upper():
            add(
                "new_serial",
                _("The new meter must be another meter than the one taken out."),
                "same_meter",
            )
        elif new_meter_installed:
            add(
                "new_serial",
                _("Meter %(serial)s is already installed elsewhere."),
                "new_meter_installed",
                serial=new_serial,
            )
        elif new_meter is not None and new_meter.status != MeterStatus.IN_STOCK:
            add(
                "new_serial",
                _("Meter %(serial)s is %(status)s; only a meter in stock can be installed."),
                "new_meter_not_in_stock",
                serial=new_serial,
                status=new_meter.get_status_display(),
            )
    seen = old_serial_seen.strip()
    if seen and seen.upper() != old_serial.upper():
        add(
            "old_serial_seen",
            _("The serial read on the meter does not match the claim's meter (%(serial)s)."),
            "old_serial_mismatch",
            serial=old_serial,
        )
    strangers = [u for u in crew if not is_crew(u)]
    if strangers:
        add(
            "crew",
            CREW_ROLE_MESSAGE,
            "crew_role",
            names=", ".join(u.get_full_name() or u.get_username() for u in strangers),
        )
    if errors:
        raise ValidationError(errors)
