"""Work orders in the desk: the list, planning an open order, the crew's completion page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from apps.meter_service import files, permissions
from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core import tracking
from apps.meter_service.core.display import format_quantity, local_digits
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.meter import history
from apps.meter_service.doctype.work_order import selectors, services
from apps.meter_service.doctype.work_order.forms import (
    CrewChoiceField,
    WorkOrderCompleteForm,
    crew_users,
)
from apps.meter_service.doctype.work_order.models import (
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from apps.meter_service.engine import task_pages
from apps.meter_service.sites import staff_site

STATUS_COLORS = {
    WorkOrderStatus.OPEN: "warning",
    WorkOrderStatus.DONE: "success",
    WorkOrderStatus.CANCELLED: "danger",
}
CREW_LANE = "emergency_crew"


def _replace_page(task) -> str | None:
    """The inbox opens a claim's replacement step on its work order's completion page."""
    work_order = selectors.live_work_order(claim=task.instance.claim)
    if work_order is None or work_order.status != WorkOrderStatus.OPEN:
        return None  # a claim started on a version without work orders: the generic form
    return selectors.complete_url(work_order)


task_pages.register(services.REPLACE_TASK, _replace_page)
history.register_history_source(selectors.work_orders_section)


@admin.register(WorkOrder, site=staff_site)
class WorkOrderAdmin(DocumentAdmin):
    list_display = [
        "number",
        "claim_code",
        "old_serial",
        "status_label",
        "crew_display",
        "scheduled_for",
        "done_at",
    ]
    list_filter = ["status"]
    search_fields = [
        "claim__tracking_code",
        "meter__serial",
        "new_meter__serial",
        "crew_names",
        "seal_numbers",
    ]
    actions_detail = ["complete_action"]
    warn_unsaved_form = False
    summary_fields = [
        "number",
        "claim_code",
        "status_label_text",
        "subscriber",
        "replacement",
        "readings",
        "seal_numbers",
        "done_at_display",
        "completed_by",
        "photo_links",
        "created_at_display",
        "created_by",
    ]
    fieldsets = [
        (_("Work order"), {"fields": summary_fields}),
        (_("Plan"), {"fields": ["scheduled_for", "crew", "crew_names", "notes"]}),
    ]

    def get_queryset(self, request):
        return selectors.work_order_list(user=request.user)

    # --- permissions: work orders come from the process and change only through services ---
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != WorkOrderStatus.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def may_complete(self, request, work_order=None) -> bool:
        if not permissions.may_work_lane(request.user, CREW_LANE):
            return False
        return work_order is None or work_order.status == WorkOrderStatus.OPEN

    def has_complete_action_permission(self, request, object_id=None) -> bool:
        return self.may_complete(request)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            return self.summary_fields
        return [name for _title, box in self.fieldsets for name in box["fields"]]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "crew":
            return CrewChoiceField(
                queryset=crew_users(),
                required=False,
                label=_("crew"),
                widget=UnfoldAdminCheckboxSelectMultipleWidget,
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        original = WorkOrder.objects.get(pk=obj.pk)
        try:
            services.work_order_update(
                work_order=original,
                actor=request.user,
                crew=data.get("crew"),
                scheduled_for=data.get("scheduled_for"),
                crew_names=data.get("crew_names", ""),
                notes=data.get("notes", ""),
            )
        except ValidationError as error:
            # Checked after the form: the order was closed or the crew changed meanwhile.
            raise PermissionDenied(" ".join(error.messages)) from error

    def save_related(self, request, form, formsets, change):
        pass  # the crew is saved by work_order_update, with the audit trail

    # --- columns ----------------------------------------------------------------------------
    @display(description=_("work order"), ordering="id")
    def number(self, obj):
        return str(obj)

    @display(description=_("claim"), ordering="claim__tracking_code")
    def claim_code(self, obj):
        return format_html(
            '<a class="meter-link meter-ltr" href="{}">{}</a>',
            reverse("admin:meter_service_claim_change", args=[obj.claim_id]),
            tracking.display(obj.claim.tracking_code),
        )

    @display(description=_("old meter"), ordering="meter__serial")
    def old_serial(self, obj):
        return history.serial_link(obj.meter.serial)

    @display(
        description=_("status"),
        ordering="status",
        label={str(v): c for v, c in STATUS_COLORS.items()},
    )
    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("status"))
    def status_label_text(self, obj):
        return obj.get_status_display()

    @display(description=_("crew"))
    def crew_display(self, obj):
        return selectors.crew_text(obj)

    @display(description=_("subscriber"))
    def subscriber(self, obj):
        subscriber = obj.claim.subscriber
        return f"{subscriber.subscription_number} — {subscriber.name} — {subscriber.address}"

    @display(description=_("old → new meter"))
    def replacement(self, obj):
        return selectors.replacement_text(obj)

    @display(description=_("readings (m³)"))
    def readings(self, obj):
        return format_html(
            "{}: {}<br>{}: {}<br>{}: {}",
            _("reading on the claim"),
            format_quantity(obj.claim.last_reading),
            _("old meter: final reading (m³)"),
            format_quantity(obj.old_final_reading),
            _("new meter: initial reading (m³)"),
            format_quantity(obj.new_initial_reading),
        )

    @display(description=_("replaced at"))
    def done_at_display(self, obj):
        return format_datetime(obj.done_at) or "—"

    @display(description=_("created at"))
    def created_at_display(self, obj):
        return format_datetime(obj.created_at)

    @display(description=_("photos"))
    def photo_links(self, obj):
        photos = list(obj.photos.all())
        if not photos:
            return "—"
        return format_html_join(
            " · ",
            '<a class="meter-link" href="{}" target="_blank">{}</a>',
            (
                (
                    self.page_url("photo", obj.pk, photo.pk),
                    gettext("photo %(n)s") % {"n": local_digits(n)},
                )
                for n, photo in enumerate(photos, start=1)
            ),
        )

    # --- pages --------------------------------------------------------------------------------
    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        custom = [
            path("<int:object_id>/complete/", wrap(self.complete_view), name=f"{prefix}_complete"),
            path(
                "<int:object_id>/photo/<int:photo_id>/",
                wrap(self.photo_view),
                name=f"{prefix}_photo",
            ),
        ]
        return custom + super().get_urls()

    def _work_order(self, request, object_id) -> WorkOrder:
        if not self.has_view_permission(request):
            raise Http404(_("No such record."))
        orders = selectors.work_order_list(user=request.user)
        return permissions.access(request.user, orders, object_id)

    @action(
        description=_("Record the replacement"),
        url_path="record",
        permissions=["complete_action"],
        icon="published_with_changes",
    )
    def complete_action(self, request, object_id):
        return redirect(self.page_url("complete", object_id))

    def complete_view(self, request, object_id):
        """The crew's page: the replacement's readings, serials, seals and photos."""
        work_order = self._work_order(request, object_id)
        if not self.may_complete(request):
            raise PermissionDenied
        if work_order.status != WorkOrderStatus.OPEN:
            messages.info(request, gettext("This work order is not open any more."))
            return redirect(self.page_url("change", work_order.pk))
        form = WorkOrderCompleteForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            work_order=work_order,
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.work_order_complete(
                    work_order=work_order, actor=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    gettext("The meter of claim %(code)s was replaced.")
                    % {"code": tracking.display(work_order.claim.tracking_code)},
                )
                return redirect(self.page_url("change", work_order.pk))
        claim = work_order.claim
        installation = work_order.meter.installations.filter(is_current=True).first()
        context = self.page_context(
            request,
            title=gettext("Replace meter %(serial)s") % {"serial": work_order.meter.serial},
            work_order=work_order,
            claim=claim,
            installation=installation,
            claim_reading=format_quantity(claim.last_reading),
            initial_reading=format_quantity(installation.initial_reading) if installation else "",
            form=form,
            claim_url=reverse("admin:meter_service_claim_change", args=[claim.pk]),
            history_url=history.history_url(work_order.meter.serial),
        )
        return TemplateResponse(request, "meter_service/work_order/complete.html", context)

    def photo_view(self, request, object_id, photo_id):
        """A work order's photo, served to those who may see the work order."""
        work_order = self._work_order(request, object_id)
        photo = WorkOrderPhoto.objects.filter(work_order=work_order, pk=photo_id).first()
        if photo is None:
            raise Http404(_("No such record."))
        return files.send(photo.image.name, content_type=photo.content_type)
