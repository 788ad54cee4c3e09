"""Template filters of the dashboards: numbers with separators and one decimal place."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from apps.meter_service.core.display import percent_sign
from apps.meter_service.core.identifiers import to_persian_digits

register = template.Library()


@register.filter
def num(value: int | float | Decimal | str | None) -> str:
    """Show a count with thousands separators, a fraction with one decimal; "—" for none."""
    if value is None or value == "":
        return "—"
    text = f"{value:,}" if isinstance(value, int) else f"{float(value):,.1f}"
    if (get_language() or "fa").startswith("fa"):
        # Arabic thousands separator and decimal mark, as Persian typesetting uses.
        text = text.replace(",", "\u066c").replace(".", "\u066b")
        return to_persian_digits(text)
    return text


@register.filter
def pct(value: int | float | Decimal | str | None) -> str:
    """Show a percentage as num does, with the percent sign of the active language."""
    return "—" if value is None or value == "" else num(value) + percent_sign()
