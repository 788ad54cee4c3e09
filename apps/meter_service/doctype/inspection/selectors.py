"""Reads of meter tests and test equipment."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.inspection.display import format_percent, format_tolerance
from apps.meter_service.doctype.inspection.models import Inspection, TestEquipment
from apps.meter_service.doctype.meter.history import HistorySection
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.doctype.process_steps import OpenStep, process

TEST_STEP = "Task_test"


def open_test_task(*, claim: Claim) -> OpenStep | None:
    """The claim's open test step (Task_test), or None when the claim is not at it."""
    return process().open_step(claim_id=claim.pk, element_id=TEST_STEP)


def claim_inspections(*, claim: Claim) -> QuerySet[Inspection]:
    """The claim's tests, newest first, with what their summaries show."""
    return (
        Inspection.objects.filter(claim=claim)
        .select_related("equipment", "technician", "meter")
        .prefetch_related("points")
        .order_by("-tested_at", "-id")
    )


def claim_report_inspection(*, claim: Claim) -> Inspection | None:
    """The test a claim's report shows: its latest."""
    return claim_inspections(claim=claim).select_related("claim__subscriber").first()


def inspection_list(*, user: User | AnonymousUser) -> QuerySet[Inspection]:
    qs = Inspection.objects.select_related("claim", "meter", "equipment", "technician")
    return permissions.scope(user, qs)


def usable_equipment(*, on_date: datetime.date | None = None) -> QuerySet[TestEquipment]:
    """Active equipment, calibrated on `on_date` when given."""
    qs = TestEquipment.objects.filter(active=True)
    if on_date is not None:
        qs = qs.filter(calibration_due__gte=on_date)
    return qs.order_by("kind", "identifier")


def inspections_section(meter: Meter, user: User | AnonymousUser) -> HistorySection | None:
    """The meter history's section of tests: each test of this meter with its verdict."""
    from django.urls import reverse
    from django.utils.html import format_html
    from django.utils.translation import gettext_lazy as _

    if not user.has_perm("meter_service.view_inspection"):
        return None
    tests = (
        inspection_list(user=user)
        .filter(meter=meter)
        .select_related("claim", "equipment")
        .order_by("tested_at", "id")
    )
    rows = [
        [
            format_html(
                '<a class="meter-link" href="{}">{}</a>',
                reverse("admin:meter_service_inspection_change", args=[test.pk]),
                format_datetime(test.tested_at),
            ),
            format_html(
                '<a class="meter-link meter-ltr" href="{}">{}</a>',
                reverse("admin:meter_service_claim_change", args=[test.claim_id]),
                tracking.display(test.claim.tracking_code),
            ),
            test.get_test_type_display(),
            test.equipment.identifier if test.equipment else "—",
            format_html('<bdi dir="ltr">{}</bdi>', format_percent(test.error_percent)),
            format_html('<bdi dir="ltr">{}</bdi>', format_tolerance(test.mpe)),
            test.get_verdict_display(),
        ]
        for test in tests
    ]
    if not rows:
        return None
    return HistorySection(
        key="inspections",
        title=str(_("Tests")),  # translated as the section is built
        headers=[
            _("tested at"),
            _("claim"),
            _("test type"),
            _("equipment"),
            _("error (%)"),
            _("tolerance"),
            _("verdict"),
        ],
        rows=rows,
        order=25,
    )
