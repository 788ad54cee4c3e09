"""The correction statement: a PDF for the subscriber, Persian and right to left.

Every figure on it names where it came from: the bill (its payment id and period), the tariff
(name, season, dates, pricing method) and the rule settings the correction used.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.meter_service.core import pdf, tracking
from apps.meter_service.doctype.claim.receipt import FONT_FILES, SERVICE_ID, _font_url
from apps.meter_service.doctype.correction.selectors import uncovered_days, verdict_label
from apps.meter_service.doctype.gas_tariff.selectors import tariff_label

TEMPLATE = "meter_service/correction/statement.html"


def statement_context(correction) -> dict:

    periods = list(correction.periods.select_related("bill").prefetch_related("pieces__tariff"))
    tariffs = {
        piece.tariff_id: tariff_label(str(piece.tariff_id))
        for period in periods
        for piece in period.pieces.all()
    }
    return {
        "final_reading": final_reading_source(correction),
        "uncovered": uncovered_days(correction, periods),
        "correction": correction,
        "claim": correction.claim,
        "subscriber": correction.claim.subscriber,
        "meter": correction.claim.meter,
        "code_display": tracking.display(correction.claim.tracking_code),
        "verdict_label": verdict_label(correction.verdict),
        "periods": periods,
        "tariffs": tariffs,
        "adjustments": list(correction.claim.billing_adjustments.order_by("created_at", "id")),
        "fonts": {weight: _font_url(path) for weight, path in FONT_FILES.items()},
        "service_id": SERVICE_ID,
        "printed_at": timezone.now(),
    }


def final_reading_source(correction) -> dict | None:
    """Where the days after the last bill were read from (the work order's final reading)."""
    source = (correction.rules_used or {}).get("final_reading")
    if not source or not correction.periods.filter(bill=None).exists():
        return None
    return {
        "from_date": datetime.date.fromisoformat(source["from_date"]),
        "from_reading": Decimal(source["from_reading"]),
        "final_reading": Decimal(source["final_reading"]),
        "replaced_on": datetime.date.fromisoformat(source["replaced_on"]),
    }


def render_statement_html(correction, *, language: str = "fa") -> str:
    with translation.override(language):
        return render_to_string(TEMPLATE, statement_context(correction))


def render_statement_pdf(correction, *, language: str = "fa") -> bytes:
    """Return the statement as PDF bytes, made now (doctype/printout keeps them)."""
    return pdf.html_to_pdf(render_statement_html(correction, language=language))
