"""Rules of meters and their installations: pure checks, no writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.meter.error_codes import MeterErrorCode
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation, MeterStatus

INSTALLABLE_STATUSES = {MeterStatus.IN_STOCK}


def check_can_install(*, meter: Meter, installed_on: datetime.date, current) -> None:
    """Raise ValidationError unless the meter can go in on that date."""
    if meter.status not in INSTALLABLE_STATUSES:
        raise ValidationError(
            {
                "meter": ValidationError(
                    _("Meter %(serial)s is %(status)s; only a meter in stock can be installed."),
                    code=MeterErrorCode.METER_NOT_IN_STOCK,
                    params={"serial": meter.serial, "status": meter.get_status_display()},
                )
            }
        )
    if current is not None and installed_on < current.installed_on:
        raise ValidationError(
            {
                "installed_on": ValidationError(
                    _("The new meter cannot go in before the current one (%(date)s)."),
                    code=MeterErrorCode.INSTALLED_BEFORE_CURRENT,
                    params={"date": format_date(current.installed_on)},
                )
            }
        )


def check_can_remove(
    *, installation: MeterInstallation, removed_on: datetime.date, final_reading: Decimal | None
) -> None:
    """Raise ValidationError unless the installation can end with that date and reading."""
    errors = {}
    if installation.removed_on is not None:
        errors["removed_on"] = ValidationError(
            _("This meter was already removed."), code=MeterErrorCode.ALREADY_REMOVED
        )
    elif removed_on < installation.installed_on:
        errors["removed_on"] = ValidationError(
            _("A meter cannot be removed before it was installed."),
            code=MeterErrorCode.REMOVED_BEFORE_INSTALLED,
        )
    if final_reading is None:
        errors["final_reading"] = ValidationError(
            _("Enter the final reading of the meter taken out."), code=CommonErrorCode.REQUIRED
        )
    elif final_reading < installation.initial_reading:
        errors["final_reading"] = ValidationError(
            _("The final reading cannot be below the initial reading (%(reading)s)."),
            code=MeterErrorCode.FINAL_BELOW_INITIAL,
            params={"reading": installation.initial_reading},
        )
    if errors:
        raise ValidationError(errors)
