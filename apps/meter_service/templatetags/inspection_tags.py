"""Template filters of meter tests: signed errors, tolerances, volumes, verdict styles."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

from apps.meter_service.doctype.inspection import display
from apps.meter_service.templatetags.meter_tags import localdigits

register = template.Library()


@register.filter
def percent(value: Decimal | None) -> str:
    """An error in %, signed, in the active digits, kept left to right inside Persian text."""
    return format_html('<bdi dir="ltr">{}</bdi>', display.format_percent(value))


@register.filter
def tolerance(value: Decimal | None) -> str:
    """A tolerance as ± %, in the active digits, kept left to right inside Persian text."""
    return format_html('<bdi dir="ltr">{}</bdi>', display.format_tolerance(value))


@register.filter
def quantity(value: Decimal | None) -> str:
    """A flow, volume, temperature or pressure without trailing zeros, in the active digits."""

    return localdigits(display.format_volume(value))


@register.filter
def verdict_css(value: str) -> str:
    return display.verdict_css(value)
