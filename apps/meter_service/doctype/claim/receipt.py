"""The claim receipt: a one-page PDF, Persian and right to left, with a QR of the tracking code.

Used by the subscriber portal and the counter-office portal. Callers check who may see the
claim; this module only draws it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from apps.meter_service.core import pdf, tracking
from apps.meter_service.core.display import format_quantity
from apps.meter_service.doctype.payment.selectors import payment_paid_for_claim

logger = logging.getLogger("meter_service.printout")

TEMPLATE = "meter_service/receipt/claim_receipt.html"
# The Farsi-Digits cut of Vazirmatn draws ASCII digits as Persian ones.
FONT_FILES = {
    400: "vendor/vazirmatn/misc/Farsi-Digits/fonts/ttf/Vazirmatn-FD-Regular.ttf",
    700: "vendor/vazirmatn/misc/Farsi-Digits/fonts/ttf/Vazirmatn-FD-Bold.ttf",
}
# The national registry's identifier of the meter test service (from the service card).
SERVICE_ID = "130316670112"


def _font_url(static_path: str) -> str:
    """Return a file:// URL of a font shipped by the vazirmatn npm package."""
    found = finders.find(static_path)
    if found is None:  # a deployment that only has the collected static files
        found = str(Path(settings.STATIC_ROOT) / static_path)
    return Path(found).resolve().as_uri()


def tracking_qr_svg(code: str) -> str:
    """Return an inline SVG (no raster library needed) of a QR code holding the code.

    The same picture as qrcode's SvgPathImage (its markup, one millimetre a module), drawn
    with one rectangle per run of dark modules in a row instead of a square per module: half
    the path, which WeasyPrint parses and fills on every receipt (about 16 ms of 210)."""
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(code)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start},{y}H{x}V{y + 1}H{start}z")
    return (
        f'<svg width="{size}mm" height="{size}mm" version="1.1" viewBox="0 0 {size} {size}" '
        f'xmlns="http://www.w3.org/2000/svg"><path d="{"".join(runs)}" id="qr-path" '
        'fill="#000000" fill-opacity="1" fill-rule="nonzero" stroke="none"/></svg>'
    )


def receipt_context(claim) -> dict:
    """Return what the receipt template shows of a claim."""

    return {
        "claim": claim,
        # The paid payment: its office receipt number, typed at the counter, is printed.
        "payment": payment_paid_for_claim(claim=claim),
        "subscriber": claim.subscriber,
        "meter": claim.meter,
        "code_display": tracking.display(claim.tracking_code),
        "reading_display": format_quantity(claim.last_reading),
        "qr_svg": mark_safe(tracking_qr_svg(claim.tracking_code)),  # the QR library's own markup
        "fonts": {weight: _font_url(path) for weight, path in FONT_FILES.items()},
        "service_id": SERVICE_ID,
        "printed_at": timezone.now(),
    }


def render_receipt_html(claim, *, language: str = "fa") -> str:
    """Return the receipt as HTML in the given language (Persian by default)."""
    with translation.override(language):
        return render_to_string(TEMPLATE, receipt_context(claim))


def render_receipt_document(claim, *, language: str = "fa"):
    """Return the receipt laid out by WeasyPrint (a weasyprint Document, one page per page).

    WeasyPrint is imported by core.pdf when first used, not at module level: it loads Pango
    and friends, which only the processes that print need.
    """
    return pdf.render_document(render_receipt_html(claim, language=language))


def render_receipt_pdf(claim, *, language: str = "fa") -> bytes:
    """Return the claim's receipt as PDF bytes, made now (doctype/printout keeps them)."""
    return pdf.html_to_pdf(render_receipt_html(claim, language=language))


def warm_printing() -> None:
    """Load WeasyPrint and the receipt's fonts in this process now (a web worker at start).
    A failure is logged, not raised: the worker serves, and its first PDF will say why."""
    try:
        pdf.warm({weight: _font_url(path) for weight, path in FONT_FILES.items()}, "Vazirmatn FD")
    except Exception:
        logger.exception("could not load WeasyPrint and the receipt's fonts ahead")
