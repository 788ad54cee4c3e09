"""The test report: a PDF of one meter test, Persian and right to left, like the receipt.

Used by the desk and the subscriber portal. Callers check who may see the claim; this module
only draws the report.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.meter_service.core import pdf, tracking
from apps.meter_service.doctype.claim.receipt import FONT_FILES, SERVICE_ID, _font_url
from apps.meter_service.doctype.inspection.models import FAULTY_VERDICTS, Inspection, Verdict

TEMPLATE = "meter_service/inspection/test_report.html"


def report_context(inspection: Inspection) -> dict:
    """Return what the report template shows of a test."""
    claim = inspection.claim
    findings = [
        label
        for shown, label in (
            (inspection.stopped, Inspection._meta.get_field("stopped").verbose_name),
            (inspection.register_fault, Inspection._meta.get_field("register_fault").verbose_name),
            (inspection.leak, Inspection._meta.get_field("leak").verbose_name),
            (inspection.tampering, Inspection._meta.get_field("tampering").verbose_name),
        )
        if shown
    ]
    return {
        "inspection": inspection,
        "claim": claim,
        "subscriber": claim.subscriber,
        "meter": inspection.meter,
        "equipment": inspection.equipment,
        "points": list(inspection.points.all()),
        "findings": findings,
        "code_display": tracking.display(claim.tracking_code),
        "passed": inspection.verdict == Verdict.WITHIN_TOLERANCE,
        "faulty": inspection.verdict in FAULTY_VERDICTS,
        "fonts": {weight: _font_url(path) for weight, path in FONT_FILES.items()},
        "service_id": SERVICE_ID,
        "printed_at": timezone.now(),
    }


def render_report_html(inspection: Inspection, *, language: str = "fa") -> str:
    with translation.override(language):
        return render_to_string(TEMPLATE, report_context(inspection))


def render_report_pdf(inspection: Inspection, *, language: str = "fa") -> bytes:
    """Return the test report as PDF bytes, made now (doctype/printout keeps them)."""
    return pdf.html_to_pdf(render_report_html(inspection, language=language))
