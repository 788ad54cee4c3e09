"""The service manager's dashboard page in the desk, and its CSV and XLSX exports."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from apps.meter_service import permissions
from apps.meter_service.core.desk_widgets import use_desk_widgets
from apps.meter_service.dashboards import selectors
from apps.meter_service.dashboards.export import dashboard_tables, to_csv, to_xlsx
from apps.meter_service.dashboards.forms import DashboardFilterForm, default_filter
from apps.meter_service.sites import staff_site

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _require_dashboards(request: HttpRequest) -> None:
    if not permissions.can_view_dashboards(request.user):
        raise PermissionDenied


def _filter_from(request: HttpRequest) -> tuple[DashboardFilterForm, selectors.DashboardFilter]:
    form = DashboardFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.to_filter()
    return form, default_filter()


def _share(value: int | float | None, largest: int | float | None) -> float:
    """Width of a bar in percent of the largest one (at least a sliver when not zero)."""
    if not value or not largest:
        return 0
    return max(round(100 * value / largest, 1), 1.5)


def _with_bars(rows: list[dict[str, Any]], key: str = "count") -> list[dict[str, Any]]:
    largest = max((r[key] or 0 for r in rows), default=0)
    return [{**r, "bar": _share(r[key], largest)} for r in rows]


def _stack(parts: list[tuple[str | Promise, int, str]]) -> list[dict[str, Any]]:
    """Segments of a 100 % bar: (label, count, css tone) -> width in percent."""
    total = sum(count for _label, count, _tone in parts)
    return [
        {"label": label, "count": count, "tone": tone, "width": 100 * count / total if total else 0}
        for label, count, tone in parts
    ]


VERDICT_TONES = {
    "within_tolerance": "ok",
    "fast": "warn",
    "slow": "info",
    "stopped": "bad",
    "tampered": "dark",
}


def _view_model(d: selectors.Dashboard) -> dict[str, Any]:
    """What the template draws: the figures plus bar widths and chart scales."""
    fig = d.figures
    statuses = fig["claims_by_status"]
    total = sum(s["count"] for s in statuses)
    open_count = sum(s["count"] for s in statuses if s["open"])
    periods = fig["claims_by_period"]
    tallest = max((p["filed"] for p in periods), default=0)
    for p in periods:
        p["filed_height"] = _share(p["filed"], tallest)
        p["met_height"] = _share(p["met"], tallest)
    service = fig["service_time"]
    scale = max(service["target_hours"], service["p90_hours"] or 0, service["average_hours"] or 0)
    scale = scale * 1.15 if scale else 1
    sla = fig["sla_compliance"]
    fees = fig["fees"]
    return {
        "total": total,
        "open": open_count,
        "channels": _with_bars(fig["claims_by_channel"]),
        "statuses": _with_bars(statuses),
        "periods": periods,
        "period_peak": tallest,
        "service": service,
        "service_bars": {
            "average": 100 * (service["average_hours"] or 0) / scale,
            "p90": 100 * (service["p90_hours"] or 0) / scale,
            "target": 100 * service["target_hours"] / scale,
        },
        "sla": sla,
        "sla_open": _stack(
            [
                (_("On track"), sla["open_on_track"], "ok"),
                (_("At risk"), sla["open_at_risk"], "warn"),
                (_("Breached"), sla["open_breached"], "bad"),
            ]
        ),
        "steps": _with_bars(fig["backlog_by_step"]),
        "roles": _with_bars(fig["backlog_by_role"]),
        "verdicts": _stack(
            [
                (v["label"], v["count"], VERDICT_TONES.get(v["verdict"], "muted"))
                for v in fig["verdict_mix"]
            ]
        ),
        "verdict_rows": fig["verdict_mix"],
        "models": fig["fault_rate_by_model"],
        "ages": _with_bars(fig["fault_rate_by_age"], "rate"),
        "fees": fees,
        # The headline shows millions: whole Rial amounts of a year do not fit a card.
        "fees_millions": fees["collected"] / 1_000_000,
        "refunded_millions": fees["refunded"] / 1_000_000,
        "fee_methods": _with_bars(fees["by_method"], "amount"),
        "corrections": fig["correction_totals"],
        "complaints": fig["complaints_per_thousand"],
        "offices": _with_bars(fig["office_performance"], "claims"),
        # Figures cached before the CSAT figure existed have none: the card is left out.
        "csat": fig.get("complaint_satisfaction"),
        "csat_rows": _with_bars((fig.get("complaint_satisfaction") or {}).get("by_score", [])),
    }


@require_safe
def dashboard_page(request: HttpRequest) -> TemplateResponse:
    """The dashboard: filter, headline figures, charts and tables."""
    _require_dashboards(request)
    form, f = _filter_from(request)
    d, computed_at = selectors.dashboard_cached(f)
    query = request.GET.urlencode()
    context = {
        **staff_site.each_context(request),
        "title": _("Service dashboard"),
        "form": use_desk_widgets(form),
        "filter": f,
        "dash": d,
        "view": _view_model(d),
        "figure_keys": [t.key for t in dashboard_tables(d)],
        "query": query,
        "now": computed_at,
    }
    return TemplateResponse(request, "meter_service/dashboards/dashboard.html", context)


@require_safe
def dashboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every figure (or the one named by ?figure=) as CSV or XLSX, for the same filter."""
    _require_dashboards(request)
    if fmt not in FORMATS:
        raise Http404(_("No such export format."))
    form = DashboardFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return HttpResponse("\n".join(errors), status=400, content_type="text/plain; charset=utf-8")
    f = form.to_filter() if form.is_bound else default_filter()
    figure = request.GET.get("figure", "")
    if figure and figure not in selectors.FIGURES:
        return HttpResponse(
            str(_("No such figure.")), status=400, content_type="text/plain; charset=utf-8"
        )
    d = selectors.dashboard(f, only=(figure,)) if figure else selectors.dashboard_cached(f)[0]
    tables = dashboard_tables(d)
    if fmt == "csv":
        body = to_csv(tables)
    else:
        body = to_xlsx(tables, right_to_left=(get_language() or "fa").startswith("fa"))
    name = f"meter-service-{figure or 'dashboard'}-{f.date_from or 'all'}-{f.date_to}.{fmt}"
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
