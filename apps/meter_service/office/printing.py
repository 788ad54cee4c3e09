"""The counter office's daily statement as a PDF: WeasyPrint and the receipt's fonts.

Callers check who may see the statement; this module only draws it.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.meter_service.core import pdf
from apps.meter_service.doctype.claim import receipt
from apps.meter_service.office.selectors import OfficeDayStatement

TEMPLATE = "meter_service/office/statement_pdf.html"
# In English the plain cut, whose digits stay ASCII; in Persian the receipt's Farsi-Digits cut.
LATIN_DIGIT_FONT_FILES = {
    400: "vendor/vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf",
    700: "vendor/vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf",
}


def _fonts(language: str) -> dict[int, str]:
    files = receipt.FONT_FILES if language.startswith("fa") else LATIN_DIGIT_FONT_FILES
    return {weight: receipt._font_url(path) for weight, path in files.items()}


def render_statement_html(
    statement: OfficeDayStatement, *, operator=None, language: str = "fa"
) -> str:
    """Return the statement as print HTML in the given language (Persian by default)."""
    with translation.override(language):
        return render_to_string(
            TEMPLATE,
            {
                "statement": statement,
                "operator": operator,
                "fonts": _fonts(language),
                "service_id": receipt.SERVICE_ID,
                "printed_at": timezone.now(),
            },
        )


def render_statement_pdf(
    statement: OfficeDayStatement, *, operator=None, language: str = "fa"
) -> bytes:
    """Return the statement as PDF bytes (fonts and stylesheet kept per process: core.pdf)."""
    html = render_statement_html(statement, operator=operator, language=language)
    return pdf.html_to_pdf(html)
