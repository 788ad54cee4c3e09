"""Template filters for dates, digits and money in the active language."""

from django import template

from apps.meter_service import jalali
from apps.meter_service.display import format_rial, isolate_code, local_digits

register = template.Library()


@register.filter
def jdate(value) -> str:
    """Show a date in the active calendar (Jalali in Persian)."""
    return jalali.format_date(value)


@register.filter
def jdatetime(value) -> str:
    """Show a date and time in the active calendar (Jalali in Persian)."""
    return jalali.format_datetime(value)


@register.filter
def localdigits(value) -> str:
    """Show digits as Persian digits in Persian, unchanged in English (display.local_digits)."""
    return local_digits(value)


@register.filter
def ltr_code(value) -> str:
    """A code in local digits inside Unicode's left-to-right isolate, for plain text and PDFs
    (WeasyPrint lays the isolate out; a web page may use <bdi dir="ltr"> instead), so that
    in a Persian sentence 934-557-8690 does not show as 8690-557-934."""
    return isolate_code(local_digits(value)) if value not in (None, "") else ""


@register.filter
def rial(value) -> str:
    """Show an integer Rial amount with thousands separators."""
    return "" if value in (None, "") else format_rial(value)


@register.filter
def tracking_code(value) -> str:
    """Show a tracking code grouped for reading aloud, in the active digits."""
    from apps.meter_service import tracking

    return tracking.display_local(value)


@register.filter
def translate_name(value) -> str:
    """Translate a name that comes from data (a BPMN step name) through the catalogue."""
    from django.utils.translation import gettext

    return gettext(value) if value else ""
