"""Meter tests and test equipment in the desk, and the technician's "Record the test" page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from apps.meter_service import files, permissions
from apps.meter_service.admin_base import DocumentAdmin, LogAdmin, ReadOnlyInline
from apps.meter_service.core import tracking
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter, use_desk_widgets
from apps.meter_service.core.display import code_text
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.custom_field.admin import CustomValuesAdmin
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.inspection import rules, selectors, services
from apps.meter_service.doctype.inspection.display import (
    VERDICT_COLORS,
    format_percent,
    format_tolerance,
    format_volume,
)
from apps.meter_service.doctype.inspection.forms import InspectionForm, TestPointFormSet
from apps.meter_service.doctype.inspection.models import (
    Inspection,
    InspectionPhoto,
    SealState,
    TestEquipment,
    TestPoint,
)
from apps.meter_service.doctype.inspection.selectors import TEST_STEP, open_test_task
from apps.meter_service.doctype.meter import history
from apps.meter_service.doctype.meter.models import AccuracyClass
from apps.meter_service.doctype.printout.models import PrintoutKind
from apps.meter_service.doctype.printout.services import printout_pdf
from apps.meter_service.doctype.process_steps import OpenStep
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.engine import task_pages
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.services import ProcessConflict
from apps.meter_service.sites import staff_site


class _InspectionPartInline(ReadOnlyInline):
    """Parts of a test shown on its page: visible to whoever may view the test."""

    show_change_link = False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("meter_service.view_inspection")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TestPointInline(_InspectionPartInline):
    __test__ = False  # not a pytest test class, whatever its name

    model = TestPoint
    fields = readonly_fields = [
        "flow",
        "band",
        "reference",
        "registered",
        "temperature",
        "pressure",
        "error",
        "tolerance",
    ]

    @admin.display(description=_("temperature (°C)"))
    def temperature(self, obj):
        return format_volume(obj.temperature_c)

    @admin.display(description=_("pressure (kPa)"))
    def pressure(self, obj):
        return format_volume(obj.pressure_kpa)

    @admin.display(description=_("flow rate (m³/h)"))
    def flow(self, obj):
        return format_volume(obj.flow_rate_m3h)

    @admin.display(description=_("reference volume (m³)"))
    def reference(self, obj):
        return format_volume(obj.reference_volume_m3)

    @admin.display(description=_("meter volume (m³)"))
    def registered(self, obj):
        return format_volume(obj.meter_volume_m3)

    @admin.display(description=_("error (%)"))
    def error(self, obj):
        mark = "✔" if obj.within else "✘"
        return format_html('<span dir="ltr">{}</span> {}', format_percent(obj.error_percent), mark)

    @admin.display(description=_("tolerance (± %)"))
    def tolerance(self, obj):
        return format_tolerance(obj.tolerance_percent)


class InspectionPhotoInline(_InspectionPartInline):
    model = InspectionPhoto
    fields = readonly_fields = ["photo", "size", "uploaded"]

    @admin.display(description=_("photo"))
    def photo(self, obj):
        url = reverse("admin:meter_service_inspection_photo", args=[obj.inspection_id, obj.pk])
        return format_html(
            '<a href="{}" target="_blank"><img src="{}" alt="" style="max-height:8rem"></a>',
            url,
            url,
        )

    @admin.display(description=_("uploaded at"))
    def uploaded(self, obj):
        return format_datetime(obj.uploaded_at)


@admin.register(Inspection, site=staff_site)
class InspectionAdmin(CustomValuesAdmin, LogAdmin):
    custom_target = CustomFieldTarget.INSPECTION
    list_display = [
        "claim_code",
        "meter",
        "test_type",
        "equipment",
        "tested",
        "verdict_label",
        "error",
        "tolerance",
    ]
    list_filter = ["verdict", "test_type", "band", ("tested_at", JalaliDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["claim__tracking_code", "meter__serial", "serial_seen"]
    list_select_related = ["claim", "meter", "equipment"]
    inlines = [TestPointInline, InspectionPhotoInline]
    actions_detail = ["report_action"]
    fieldsets = [
        (
            _("Test"),
            {
                "fields": [
                    "claim_link",
                    "meter",
                    "test_type",
                    "technician",
                    "equipment_display",
                    "tested",
                    "created",
                ]
            },
        ),
        (
            _("Findings"),
            {
                "fields": [
                    "serial_display",
                    "seal_state",
                    "stopped",
                    "register_fault",
                    "leak",
                    "tampering",
                    "notes",
                ]
            },
        ),
        (
            _("Result"),
            {
                "fields": [
                    "verdict_badge",
                    "error",
                    "band",
                    "tolerance",
                    "mean_error",
                    "accuracy_class_label",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, box in self.fieldsets for name in box["fields"]]

    # A test is written once, by inspection_record; nobody edits or deletes it here.

    @display(description=_("claim"), ordering="claim__tracking_code")
    def claim_code(self, obj):
        return format_html(
            '<span class="meter-ltr">{}</span>', tracking.display(obj.claim.tracking_code)
        )

    @display(description=_("claim"))
    def claim_link(self, obj):
        url = reverse("admin:meter_service_claim_change", args=[obj.claim_id])
        return format_html(
            '<a class="meter-link meter-ltr" href="{}">{}</a>',
            url,
            tracking.display(obj.claim.tracking_code),
        )

    @display(description=_("tested at"), ordering="tested_at")
    def tested(self, obj):
        return format_datetime(obj.tested_at)

    @display(description=_("recorded at"))
    def created(self, obj):
        who = obj.created_by.get_full_name() or obj.created_by.get_username()
        return f"{format_datetime(obj.created_at)} · {who}"

    @display(description=_("test equipment"))
    def equipment_display(self, obj):
        if obj.equipment is None:
            return "—"
        return gettext("%(equipment)s, calibrated until %(date)s") % {
            "equipment": obj.equipment,
            "date": format_date(obj.equipment.calibration_due),
        }

    @display(description=_("serial seen on the meter"))
    def serial_display(self, obj):
        if obj.serial_matches:
            mark = gettext("matches the record")
        else:
            mark = gettext("differs from the record (%(serial)s)") % {"serial": obj.meter.serial}
        return format_html('<span dir="ltr">{}</span> · {}', obj.serial_seen, mark)

    @display(
        description=_("verdict"),
        ordering="verdict",
        label={str(v): c for v, c in VERDICT_COLORS.items()},
    )
    def verdict_label(self, obj):
        return obj.verdict, obj.get_verdict_display()

    @display(description=_("verdict"))
    def verdict_badge(self, obj):
        return obj.get_verdict_display()

    @display(description=_("error of the decisive point (%)"), ordering="error_percent")
    def error(self, obj):
        return format_html('<span dir="ltr">{}</span>', format_percent(obj.error_percent))

    @display(description=_("tolerance used (± %)"))
    def tolerance(self, obj):
        return format_tolerance(obj.mpe)

    @display(description=_("mean error (%)"))
    def mean_error(self, obj):
        return format_html('<span dir="ltr">{}</span>', format_percent(obj.mean_error_percent))

    @display(description=_("accuracy class"))
    def accuracy_class_label(self, obj):
        # The class as the meter's pages name it ("1.5" is a copy of the meter's choice).
        return (
            AccuracyClass(obj.accuracy_class).label
            if obj.accuracy_class in AccuracyClass
            else obj.accuracy_class
        )

    # --- the report, the photos ------------------------------------------------------------

    def has_report_action_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    @action(
        description=_("Test report (PDF)"),
        url_path="report",
        permissions=["report_action"],
        icon="picture_as_pdf",
    )
    def report_action(self, request, object_id):
        return redirect("admin:meter_service_inspection_report", object_id)

    def report_view(self, request, object_id):
        inspection = self._inspection(request, object_id)
        response = HttpResponse(
            printout_pdf(kind=PrintoutKind.TEST_REPORT, document=inspection),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = (
            f'inline; filename="test-report-{inspection.claim.tracking_code}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def photo_view(self, request, object_id, photo_id):
        inspection = self._inspection(request, object_id)
        photo = inspection.photos.filter(pk=photo_id).first()
        if photo is None:
            raise Http404(gettext("No such record."))
        return files.send(photo.image.name, content_type=photo.content_type)

    def _inspection(self, request, object_id) -> Inspection:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return permissions.access(
            request.user,
            Inspection.objects.select_related("claim__subscriber", "meter", "equipment"),
            unquote(str(object_id)),
        )

    # --- recording a test --------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "record/<int:claim_id>/",
                view(self.record_view),
                name="meter_service_inspection_record",
            ),
            path(
                "<path:object_id>/report.pdf",
                view(self.report_view),
                name="meter_service_inspection_report",
            ),
            path(
                "<path:object_id>/photo/<int:photo_id>/",
                view(self.photo_view),
                name="meter_service_inspection_photo",
            ),
            *super().get_urls(),
        ]

    def _test_task(self, request, claim_id: int) -> tuple[Claim, OpenStep | None]:
        claim = permissions.access(
            request.user, Claim.objects.select_related("meter", "subscriber"), claim_id
        )
        task = open_test_task(claim=claim)
        if task is not None and not permissions.may_work_lane(request.user, task.lane):
            raise PermissionDenied
        if task is None and not permissions.lanes_of(request.user):
            raise PermissionDenied
        return claim, task

    def record_view(self, request, claim_id: int):
        """The technician's page for the test step: findings, points, photos, or no access."""
        claim, task = self._test_task(request, claim_id)
        claim_url = reverse("admin:meter_service_claim_change", args=[claim.pk])
        if task is None:
            messages.error(
                request,
                gettext("Claim %(code)s is not waiting for its meter test.")
                % {"code": code_text(claim.tracking_code)},
            )
            return redirect(claim_url)
        post = request.method == "POST"
        if post and "_no_access" in request.POST:
            return self._no_access(request, claim)
        form = InspectionForm(
            request.POST if post else None,
            request.FILES if post else None,
            initial=self._initial(claim),
        ).use_desk_widgets()
        formset = TestPointFormSet(
            request.POST if post else None, prefix="points", meter_size=claim.meter.size
        )
        if post:
            form_ok, points_ok = form.is_valid(), formset.is_valid()
            if form_ok and points_ok:
                try:
                    inspection = services.inspection_record(
                        claim=claim,
                        technician=request.user,
                        points=formset.points(),
                        actor=request.user,
                        **form.service_fields(),
                    )
                except ProcessConflict as error:
                    messages.error(request, " ".join(error.messages))
                    return redirect(claim_url)
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(
                        request,
                        gettext("The test of claim %(code)s is recorded: %(verdict)s.")
                        % {
                            "code": code_text(claim.tracking_code),
                            "verdict": inspection.get_verdict_display(),
                        },
                    )
                    return redirect("admin:meter_service_inspection_change", inspection.pk)
        for point_form in formset.forms:
            use_desk_widgets(point_form)
        context = self.page_context(
            request,
            title=gettext("Record the test of claim %(code)s")
            % {"code": code_text(claim.tracking_code)},
            claim=claim,
            task=task,
            form=form,
            formset=formset,
            claim_url=claim_url,
            flows=self._flows(claim.meter),
        )
        return TemplateResponse(request, "meter_service/inspection/record.html", context)

    def _no_access(self, request, claim):
        try:
            services.inspection_no_access(
                claim=claim, actor=request.user, note=request.POST.get("notes", "")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.path)
        messages.success(
            request,
            gettext("Claim %(code)s: no access to the meter; the subscriber is asked for it.")
            % {"code": code_text(claim.tracking_code)},
        )
        return redirect("admin:meter_service_processtask_changelist")

    def _flows(self, meter) -> str:
        """Qmax and Qt of the meter's size, to help the technician choose the flow points."""
        fraction = rule_value("TRANSITION_FLOW_FRACTION")
        return gettext("%(size)s meter: Qt %(qt)s m³/h, Qmax %(qmax)s m³/h") % {
            "size": meter.size,
            "qt": format_volume(rules.transition_flow(meter.size, fraction)),
            "qmax": format_volume(rules.qmax(meter.size)),
        }

    def _initial(self, claim) -> dict:
        now = timezone.localtime()
        scheduled = (
            ProcessTask.objects.filter(
                instance__claim=claim, element_id="Task_schedule", completed_at__isnull=False
            )
            .order_by("-completed_at")
            .values_list("data", flat=True)
            .first()
        ) or {}
        return {
            "test_type": scheduled.get("test_type") or "field",
            "tested_on": now.date(),
            "tested_time": now.strftime("%H:%M"),
            "seal_state": SealState.INTACT,
        }


def _record_page(task: ProcessTask) -> str:
    return reverse("admin:meter_service_inspection_record", args=[task.instance.claim_id])


task_pages.register(TEST_STEP, _record_page)
history.register_history_source(selectors.inspections_section)


@admin.register(TestEquipment, site=staff_site)
class TestEquipmentAdmin(DocumentAdmin):
    __test__ = False  # not a pytest test class, whatever its name

    list_display = ["identifier", "kind", "make", "model", "calibration", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["identifier", "make", "model"]
    fieldsets = [
        (None, {"fields": ["kind", "identifier", "make", "model", "calibration_due", "active"]}),
    ]

    @display(
        description=_("calibration due"),
        ordering="calibration_due",
        label={"overdue": "danger", "ok": "success"},
    )
    def calibration(self, obj):
        overdue = obj.calibration_due < timezone.localdate()
        text = format_date(obj.calibration_due)
        if overdue:
            text = gettext("%(date)s (overdue)") % {"date": text}
        return ("overdue" if overdue else "ok"), text

    def create_document(self, request, fields):
        return services.equipment_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.equipment_update(equipment=instance, actor=request.user, **fields)
