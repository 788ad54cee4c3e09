"""Reads of work orders, through the record rules (work orders are company staff's only)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.display import format_quantity
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.meter.history import HistorySection, serial_link
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.doctype.work_order.models import WorkOrder, WorkOrderStatus


def work_order_list(*, user: User | AnonymousUser) -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.select_related(
        "claim", "claim__subscriber", "meter", "new_meter"
    ).prefetch_related("crew")
    return permissions.scope(user, qs)


def live_work_order(*, claim: Claim) -> WorkOrder | None:
    """The claim's work order that counts: open or done (not a cancelled one)."""
    return (
        WorkOrder.objects.select_related("meter", "new_meter")
        .filter(claim=claim, is_live=True)
        .first()
    )


def crew_text(work_order: WorkOrder) -> str:
    names = [u.get_full_name() or u.get_username() for u in work_order.crew.all()]
    if work_order.crew_names:
        names.append(work_order.crew_names)
    return "، ".join(names) or "—"


def work_order_url(work_order: WorkOrder) -> str:
    return reverse("admin:meter_service_workorder_change", args=[work_order.pk])


def complete_url(work_order: WorkOrder) -> str:
    return reverse("admin:meter_service_workorder_complete", args=[work_order.pk])


def replacement_text(work_order: WorkOrder) -> str:
    """Old serial → new serial, each linked to its meter's history."""

    new = serial_link(work_order.new_meter.serial) if work_order.new_meter else "…"
    return format_html('<span dir="ltr">{} → {}</span>', serial_link(work_order.meter.serial), new)


def replacement_html(claim: Claim, user: User | AnonymousUser | None) -> str:
    """The claim page's replacement line: the work order, old → new serial, readings."""

    work_order = live_work_order(claim=claim)
    history = format_html(
        "{} {}", gettext("Service history of the meter:"), serial_link(claim.meter.serial)
    )
    if work_order is None:
        return history
    title = str(work_order)
    if user is not None and user.has_perm("meter_service.view_workorder"):
        title = format_html(
            '<a class="meter-link" href="{}">{}</a>', work_order_url(work_order), title
        )
    parts = [
        format_html("{} ({})", title, work_order.get_status_display()),
        replacement_text(work_order),
    ]
    if work_order.status == WorkOrderStatus.DONE:
        parts.append(
            gettext("final reading %(old)s, initial reading %(new)s, replaced %(when)s")
            % {
                "old": format_quantity(work_order.old_final_reading),
                "new": format_quantity(work_order.new_initial_reading),
                "when": format_datetime(work_order.done_at),
            }
        )
    parts.append(history)
    return format_html_join("", "<div>{}</div>", ((p,) for p in parts))


def work_orders_section(meter: Meter, user: User | AnonymousUser) -> HistorySection | None:
    """The meter history's section of replacements (the meter taken out or put in)."""

    if not user.has_perm("meter_service.view_workorder"):
        return None
    orders = (
        work_order_list(user=user)
        .filter(Q(meter=meter) | Q(new_meter=meter))
        .order_by("created_at", "id")
    )
    rows = []
    for order in orders:
        rows.append(
            [
                format_html(
                    '<a class="meter-link" href="{}">{}</a>', work_order_url(order), str(order)
                ),
                format_html(
                    '<a class="meter-link meter-ltr" href="{}">{}</a>',
                    reverse("admin:meter_service_claim_change", args=[order.claim_id]),
                    tracking.display(order.claim.tracking_code),
                ),
                order.get_status_display(),
                format_date(order.scheduled_for) or "—",
                format_datetime(order.done_at) or "—",
                replacement_text(order),
                format_quantity(order.old_final_reading),
                format_quantity(order.new_initial_reading),
                order.seal_numbers or "—",
                crew_text(order),
            ]
        )
    return HistorySection(
        key="work_orders",
        title=gettext("Replacements (work orders)"),
        headers=[
            _("work order"),
            _("claim"),
            _("status"),
            _("scheduled for"),
            _("replaced at"),
            _("old → new meter"),
            _("old meter: final reading (m³)"),
            _("new meter: initial reading (m³)"),
            _("seal numbers"),
            _("crew"),
        ],
        rows=rows,
        order=30,
    )
