"""A meter's service history: every installation, claim, test and replacement it went through.

The page is built from *history sources*: functions that take the meter and the viewing user
and return one section (a titled table) or None when the user may not see that kind of
record or there is nothing to show. Installations and claims are built in; other doctypes
add theirs with `register_history_source` (work orders do; inspections may).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.display import format_quantity
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.meter.models import Meter


@dataclass
class HistorySection:
    """One table of the history page: headers and rows of cells (text or safe HTML)."""

    key: str
    title: str
    headers: list
    rows: list[list] = field(default_factory=list)
    order: int = 100

    @property
    def table(self) -> dict:
        return {"headers": self.headers, "rows": self.rows}


HistorySource = Callable[[Meter, object], "HistorySection | None"]

# The sources of the page, in the order they were registered; sections sort by `order`.
HISTORY_SOURCES: list[HistorySource] = []


def register_history_source(source: HistorySource) -> HistorySource:
    """Add a section to every meter's history page (usable as a decorator)."""
    if source not in HISTORY_SOURCES:
        HISTORY_SOURCES.append(source)
    return source


def meter_history(*, meter: Meter, user) -> list[HistorySection]:
    """The sections of the meter's history the user may see, in page order."""
    sections = [section for source in HISTORY_SOURCES if (section := source(meter, user))]
    return sorted(sections, key=lambda s: s.order)


def history_url(serial: str) -> str:
    return reverse("admin:meter_service_meter_service_history", args=[serial])


def serial_link(serial: str) -> str:
    """A meter's serial linking to its history page."""
    return format_html(
        '<a class="meter-link meter-ltr" href="{}">{}</a>', history_url(serial), serial
    )


def _may_view(user, model: str) -> bool:
    return user.has_perm(f"meter_service.view_{model}")


@register_history_source
def installations_section(meter: Meter, user) -> HistorySection | None:
    from apps.meter_service.doctype.meter.selectors import installation_history

    if not _may_view(user, "meterinstallation"):
        return None
    rows = []
    for inst in installation_history(user=user, meter=meter).order_by("installed_on", "id"):
        subscriber = format_html(
            '<a class="meter-link" href="{}">{}</a>',
            reverse("admin:meter_service_subscriber_change", args=[inst.subscriber_id]),
            f"{inst.subscriber.subscription_number} — {inst.subscriber.name}",
        )
        rows.append(
            [
                subscriber,
                format_date(inst.installed_on),
                format_quantity(inst.initial_reading),
                format_date(inst.removed_on) or gettext("installed now"),
                format_quantity(inst.final_reading),
                inst.get_reason_display(),
            ]
        )
    return HistorySection(
        key="installations",
        title=_("Installations"),
        headers=[
            _("subscriber"),
            _("installed on"),
            _("initial reading (m³)"),
            _("removed on"),
            _("final reading (m³)"),
            _("reason"),
        ],
        rows=rows,
        order=10,
    )


@register_history_source
def claims_section(meter: Meter, user) -> HistorySection | None:
    from apps.meter_service.doctype.claim.models import Claim

    if not _may_view(user, "claim"):
        return None
    claims = permissions.scope(user, Claim.objects.filter(meter=meter)).order_by("filed_at")
    rows = []
    for claim in claims:
        code = format_html(
            '<a class="meter-link meter-ltr" href="{}">{}</a>',
            reverse("admin:meter_service_claim_change", args=[claim.pk]),
            tracking.display(claim.tracking_code),
        )
        findings = claim.findings or {}
        test = "—"
        if claim.test_visit_date or findings.get("verdict"):
            parts = [format_date(claim.test_visit_date)] if claim.test_visit_date else []
            if findings.get("error_percent") is not None:
                parts.append(f"{format_quantity(findings['error_percent'])}%")
            if findings.get("stopped"):
                parts.append(gettext("Meter stopped"))
            test = " · ".join(parts) or "—"
        rows.append(
            [
                code,
                format_datetime(claim.filed_at),
                claim.get_reason_display(),
                claim.get_status_display(),
                test,
                claim.get_outcome_display() or "—",
            ]
        )
    return HistorySection(
        key="claims",
        title=_("Claims and tests"),
        headers=[
            _("tracking code"),
            _("filed at"),
            _("reason"),
            _("status"),
            _("test"),
            _("outcome"),
        ],
        rows=rows,
        order=20,
    )
