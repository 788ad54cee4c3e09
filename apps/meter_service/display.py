"""How numbers look in the interface (dates are in jalali.py)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language


def persian_active() -> bool:
    return (get_language() or "fa").startswith("fa")


def percent_sign() -> str:
    """The percent sign of the active language: Persian text uses the Arabic percent "٪"."""
    return "\u066a" if persian_active() else "%"


def format_quantity(value: Decimal | int | None) -> str:
    """Show a reading or volume without trailing zeros, with the Persian decimal mark in fa."""
    if value is None:
        return "—"
    text = f"{Decimal(value).normalize():f}"
    if persian_active():
        text = text.replace(".", "\u066b")
    return text
