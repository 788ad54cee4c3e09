"""How numbers look in the interface (dates are in jalali.py)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language

from apps.meter_service.core.identifiers import to_persian_digits

# Unicode's left-to-right isolate: a code inside stays in reading order in a Persian sentence.
LTR_ISOLATE, POP_ISOLATE = "\u2066", "\u2069"


def is_persian(language: str | None = None) -> bool:
    """Return whether the language (the active one unless given) is Persian."""
    return (language or get_language() or "fa").startswith("fa")


def local_digits(value: object, *, language: str | None = None) -> str:
    """Show a number, or any text's digits, as Persian digits in Persian, unchanged otherwise.

    The one helper for numbers in sentences: templates (the localdigits filter), SMS texts
    and PDFs all go through it. Codes people copy also go in an isolate (isolate_code).
    """
    text = "" if value is None else str(value)
    return to_persian_digits(text) if is_persian(language) else text


def person_name(user) -> str:
    """A user as people read them: the full name, else the username."""
    return user.get_full_name() or user.get_username()


def format_rial(value: int, *, language: str | None = None) -> str:
    """Show an integer Rial amount with thousands separators: ۱٬۵۰۰٬۰۰۰ or 1,500,000."""
    text = f"{int(value):,}"
    return (
        local_digits(text.replace(",", "\u066c"), language=language)
        if is_persian(language)
        else text
    )


def rial_text(value: int | None) -> str:
    """An amount as format_rial shows it, or "" when there is none."""
    return "" if value is None else format_rial(value)


def isolate_code(code: str) -> str:
    """Wrap a code in a left-to-right isolate for plain text (SMS), so that in a Persian
    sentence 934-557-8690 does not read as 8690-557-934."""
    return f"{LTR_ISOLATE}{code}{POP_ISOLATE}"


def code_in_sentence(code: object, *, language: str | None = None) -> str:
    """A code people copy (subscription number, bill or payment ID) as a sentence carries
    it: in local digits and, in Persian, inside a left-to-right isolate."""
    text = local_digits(code, language=language)
    return isolate_code(text) if is_persian(language) else text


def code_text(code: str, *, language: str | None = None) -> str:
    """A tracking code as a sentence carries it: grouped (934-557-8690), in local digits, and
    in Persian inside a left-to-right isolate so that the groups keep their order."""
    return code_in_sentence(group_code(code), language=language)


def group_code(code: str) -> str:
    """Group a tracking code for reading aloud: 123-456-7890."""
    return f"{code[:3]}-{code[3:6]}-{code[6:]}"


def percent_sign() -> str:
    """The percent sign of the active language: Persian text uses the Arabic percent "٪"."""
    return "\u066a" if is_persian() else "%"


def format_quantity(value: Decimal | int | None) -> str:
    """Show a reading or volume without trailing zeros, with the Persian decimal mark in fa."""
    if value is None:
        return "—"
    return local_decimal(f"{Decimal(value).normalize():f}")


def local_decimal(text: str) -> str:
    """A number written with "." in the active digits, with the Persian decimal mark in fa."""
    return local_digits(text.replace(".", "\u066b")) if is_persian() else text
