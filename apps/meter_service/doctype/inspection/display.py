"""How tests look in the desk and the report: signed percentages, the claim page's list."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from apps.meter_service.core.display import format_quantity, local_decimal, percent_sign
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.inspection.models import FAULTY_VERDICTS, Verdict

VERDICT_COLORS = {
    Verdict.WITHIN_TOLERANCE: "success",
    Verdict.FAST: "danger",
    Verdict.SLOW: "danger",
    Verdict.STOPPED: "danger",
    Verdict.TAMPERED: "warning",
}


def format_percent(value: Decimal | None, *, signed: bool = True) -> str:
    """A percentage to 2 places, signed (+ fast, − slow), in the active digits; "—" if None."""
    if value is None:
        return "—"
    return local_decimal(f"{value:+.2f}" if signed else f"{value:.2f}") + percent_sign()


def format_tolerance(value: Decimal | None) -> str:
    return "—" if value is None else "±" + local_decimal(f"{value:.2f}") + percent_sign()


def format_volume(value: Decimal | None) -> str:
    return format_quantity(value)


def verdict_css(verdict: str) -> str:
    if verdict == Verdict.WITHIN_TOLERANCE:
        return "ok"
    return "bad" if verdict in FAULTY_VERDICTS else "warn"


def claim_inspections_html(claim) -> str:
    """The claim's tests for its desk page: when, verdict, error against tolerance, links."""
    # Local: the selectors module imports this one (the meter history's tests section).
    from apps.meter_service.doctype.inspection.selectors import claim_inspections

    rows = []
    for inspection in claim_inspections(claim=claim):
        detail = reverse("admin:meter_service_inspection_change", args=[inspection.pk])
        report = reverse("admin:meter_service_inspection_report", args=[inspection.pk])
        rows.append(
            (
                detail,
                format_datetime(inspection.tested_at),
                inspection.get_verdict_display(),
                format_percent(inspection.error_percent),
                format_tolerance(inspection.mpe),
                report,
                gettext("Test report (PDF)"),
            )
        )
    if not rows:
        return "—"
    return format_html_join(
        "",
        '<div class="py-1"><a class="meter-link" href="{}">{}</a> — <strong>{}</strong> '
        '<span dir="ltr">{}</span> <span class="text-base-500">({})</span> · '
        '<a class="meter-link" href="{}">{}</a></div>',
        rows,
    )


def points_table_html(inspection) -> str:
    """The test's points for its desk page (read only)."""
    rows = [
        (
            local_decimal(f"{point.flow_rate_m3h.normalize():f}"),
            point.get_band_display(),
            format_volume(point.reference_volume_m3),
            format_volume(point.meter_volume_m3),
            format_percent(point.error_percent),
            format_tolerance(point.tolerance_percent),
            "✔" if point.within else "✘",
        )
        for point in inspection.points.all()
    ]
    if not rows:
        return "—"
    head = format_html(
        "<tr>{}</tr>",
        format_html_join(
            "",
            '<th class="px-2 py-1 text-start">{}</th>',
            (
                (gettext("flow rate (m³/h)"),),
                (gettext("flow band"),),
                (gettext("reference volume (m³)"),),
                (gettext("meter volume (m³)"),),
                (gettext("error (%)"),),
                (gettext("tolerance (± %)"),),
                ("",),
            ),
        ),
    )
    body = format_html_join(
        "",
        '<tr class="border-t border-base-200"><td class="px-2 py-1" dir="ltr">{}</td>'
        '<td class="px-2 py-1">{}</td><td class="px-2 py-1" dir="ltr">{}</td>'
        '<td class="px-2 py-1" dir="ltr">{}</td><td class="px-2 py-1" dir="ltr">{}</td>'
        '<td class="px-2 py-1" dir="ltr">{}</td><td class="px-2 py-1">{}</td></tr>',
        rows,
    )
    return format_html('<table class="text-sm" id="inspection-points">{}{}</table>', head, body)
