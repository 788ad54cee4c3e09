"""Template filters for dates, digits and money in the active language."""

import datetime
from typing import Any

from django import template
from django.db import models
from django.template.context import Context

from apps.meter_service import privacy
from apps.meter_service.core import jalali, tracking
from apps.meter_service.core.display import format_rial, isolate_code, local_digits

register = template.Library()


@register.filter
def jdate(value: datetime.date | None) -> str:
    """Show a date in the active calendar (Jalali in Persian)."""
    return jalali.format_date(value)


@register.filter
def jdatetime(value: datetime.datetime | None) -> str:
    """Show a date and time in the active calendar (Jalali in Persian)."""
    return jalali.format_datetime(value)


@register.filter
def localdigits(value: object) -> str:
    """Show digits as Persian digits in Persian, unchanged in English (display.local_digits)."""
    return local_digits(value)


@register.filter
def ltr_code(value: object) -> str:
    """A code in local digits inside Unicode's left-to-right isolate, for plain text and PDFs
    (WeasyPrint lays the isolate out; a web page may use <bdi dir="ltr"> instead), so that
    in a Persian sentence 934-557-8690 does not show as 8690-557-934."""
    return isolate_code(local_digits(value)) if value not in (None, "") else ""


@register.filter
def rial(value: Any) -> str:  # an int; None or "" for none
    """Show an integer Rial amount with thousands separators."""
    return "" if value in (None, "") else format_rial(value)


@register.filter
def tracking_code(value: str) -> str:
    """Show a tracking code grouped for reading aloud, in the active digits."""

    return tracking.display_local(value)


@register.filter
def translate_name(value: str | None) -> str:
    """Translate a name that comes from data (a BPMN step name) through the catalogue."""
    from django.utils.translation import gettext

    return gettext(value) if value else ""


@register.simple_tag(takes_context=True)
def personal(context: Context, document: models.Model, field: str) -> str:
    """A document's mobile or national ID as the signed-in user may see it (privacy.shown):
    masked for the roles that do not need it, with a control to show it in full for a role
    allowed to (the reveal is recorded). For desk pages; not inside another form."""
    from django.middleware.csrf import get_token
    from django.urls import reverse
    from django.utils.html import format_html
    from django.utils.translation import gettext

    request = context.get("request")
    user = getattr(request, "user", None)
    value = privacy.shown(user, document, field)
    shown = format_html('<bdi dir="ltr">{}</bdi>', local_digits(value) or "—")
    if not value or privacy.sees_personal_data(user) or not privacy.may_reveal(user):
        return shown
    assert request is not None  # the user who may reveal it came with the request
    opts = document._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_reveal", args=[document.pk, field])
    return format_html(
        '{}<form method="post" action="{}" class="meter-reveal-form">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="meter-reveal text-primary-600 underline text-sm">'
        "{}</button></form>",
        shown,
        url,
        get_token(request),
        gettext("Show in full"),
    )
