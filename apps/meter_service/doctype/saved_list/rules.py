"""Pure rules of saved lists and scheduled reports: names, query strings, columns, periods."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlencode

import jdatetime
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.saved_list.error_codes import SavedListErrorCode

# A list page's own parameters that are no filter: the page number, the popup markers and
# the desk's error flag. Dropped from a saved view's query.
NOT_FILTERS = frozenset({"p", "_popup", "_to_field", "e", "_changelist_filters"})
# The most rows one export or one scheduled email carries, unless the settings'
# METER_LIST_EXPORT_ROWS says otherwise (export_row_limit).
EXPORT_ROW_LIMIT = 5000


def export_row_limit() -> int:
    return int(getattr(settings, "METER_LIST_EXPORT_ROWS", EXPORT_ROW_LIMIT))


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(
            _("Give the view a name."), code=SavedListErrorCode.VIEW_NAME_REQUIRED
        )
    if len(name) > 80:
        raise ValidationError(
            _("A view's name is at most 80 characters."), code=SavedListErrorCode.VIEW_NAME_TOO_LONG
        )
    return name


def clean_query(query: str) -> str:
    """The list's filters, search and ordering, without page numbers and popup markers."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=True)]
    return urlencode([(k, v) for k, v in pairs if k not in NOT_FILTERS])[:2000]


def clean_columns(chosen: list[str], allowed: list[str]) -> list[str]:
    """The chosen columns in the list's order; an unknown name is refused, none is an error."""
    unknown = [name for name in chosen if name not in allowed]
    if unknown:
        raise ValidationError(
            _("No such column: %(name)s."),
            params={"name": unknown[0]},
            code=SavedListErrorCode.VIEW_UNKNOWN_COLUMN,
        )
    columns = [name for name in allowed if name in chosen]
    if not columns:
        raise ValidationError(
            _("Choose at least one column."), code=SavedListErrorCode.VIEW_NO_COLUMNS
        )
    return columns


def clean_hour(hour: int) -> int:
    if not 0 <= hour <= 23:
        raise ValidationError(
            _("The hour is from 0 to 23."), code=SavedListErrorCode.REPORT_BAD_HOUR
        )
    return hour


def period_start(frequency: str, day: datetime.date) -> datetime.date:
    """The first day of the period `day` falls in: the day itself, the week's Saturday (the
    Iranian week), or the first of the Jalali month."""
    if frequency == "weekly":
        return day - datetime.timedelta(days=(day.weekday() - 5) % 7)
    if frequency == "monthly":
        return jdatetime.date.fromgregorian(date=day).replace(day=1).togregorian()
    return day


def due_period(frequency: str, hour: int, now_local: datetime.datetime) -> str | None:
    """The period (its first day, ISO) whose report is due at `now_local` (Tehran time),
    or None before the hour of its first day. A period not sent stays due until it ends, so a
    scheduler that was down catches up once."""
    start = period_start(frequency, now_local.date())
    if now_local.date() == start and now_local.hour < hour:
        return None
    return start.isoformat()
