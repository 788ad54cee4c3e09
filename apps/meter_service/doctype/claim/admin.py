"""Claims in the desk: the list, the claim page with its timeline, in-person intake."""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter, use_desk_widgets
from apps.meter_service.core.display import code_text, format_quantity, rial_text
from apps.meter_service.core.forms import normalize_input
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.claim import rules, selectors, services
from apps.meter_service.doctype.claim.forms import DeskIntakeForm, PhoneClaimForm
from apps.meter_service.doctype.claim.models import Channel, Claim, ClaimStatus
from apps.meter_service.doctype.complaint.display import claim_complaints_html
from apps.meter_service.doctype.correction.display import claim_correction_html
from apps.meter_service.doctype.custom_field.admin import CustomValuesAdmin
from apps.meter_service.doctype.custom_field.forms import add_custom_fields, custom_cleaned
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.inspection.display import claim_inspections_html
from apps.meter_service.doctype.meter import history
from apps.meter_service.doctype.payment.services import payment_record_in_person
from apps.meter_service.doctype.work_order.selectors import replacement_html
from apps.meter_service.engine import claim_page
from apps.meter_service.engine.diagram import claim_diagram_state
from apps.meter_service.sites import staff_site

logger = logging.getLogger("meter_service.process")

# Who may take a claim over the phone (the call centre); in-person intake needs add_claim.
FILE_PHONE_CLAIM = "meter_service.file_phone_claim"

STATUS_COLORS = {
    ClaimStatus.AWAITING_PAYMENT: "warning",
    ClaimStatus.PAID: "info",
    ClaimStatus.IN_PROGRESS: "primary",
    ClaimStatus.CLOSED: "success",
    ClaimStatus.CANCELLED: "danger",
    ClaimStatus.EXPIRED: "danger",
}


@admin.register(Claim, site=staff_site)
class ClaimAdmin(CustomValuesAdmin):
    custom_target = CustomFieldTarget.CLAIM
    list_display = [
        "code",
        "subscriber",
        "meter",
        "channel",
        "status_label",
        "total",
        "filed_at",
    ]
    list_filter = [
        "status",
        "channel",
        "payment_method",
        "counter_office",
        ("filed_at", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    search_fields = [
        "tracking_code",
        "subscriber__subscription_number",
        "subscriber__bill_id",
        "meter__serial",
        "contact_mobile",
    ]
    list_select_related = ["subscriber", "meter"]
    actions_detail = ["record_payment_action", "cancel_action"]
    # The claim's process chart, below the timeline (process/desk_claim_diagram.html).
    change_form_after_template = "process/desk_claim_diagram.html"
    fieldsets = [
        (
            _("Claim"),
            {
                "fields": [
                    "code",
                    "status_badge",
                    "subscriber",
                    "meter",
                    "channel",
                    "counter_office",
                    "agency",
                    "reason",
                    "reason_text",
                    "extra_display",
                    "filed_by",
                    "filed_at_display",
                ]
            },
        ),
        (
            _("Documents"),
            {
                "fields": [
                    "reading_display",
                    "last_bill_id",
                    "last_payment_id",
                    "last_bill_scan",
                    "checklist_display",
                ]
            },
        ),
        (
            _("Fee and payment"),
            {
                "fields": [
                    "payment_method",
                    "fee_display",
                    "paid_at_display",
                    "expires_at_display",
                ]
            },
        ),
        (_("Contact"), {"fields": ["contact_mobile", "preferred_visit"]}),
        (
            _("Process"),
            {"fields": ["open_steps", "visit_display", "outcome", "fee_outcome", "sla_display"]},
        ),
        (_("Meter replacement"), {"fields": ["replacement_display"]}),
        (_("Bill correction"), {"fields": ["correction_display"]}),
        (_("Meter tests"), {"fields": ["inspections_display"]}),
        (_("Complaints"), {"fields": ["complaints_display"]}),
        (_("Timeline"), {"fields": ["timeline"]}),
    ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["process_diagram"] = self._process_diagram(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _process_diagram(self, obj) -> dict | None:
        # A state the engine cannot read must not take the claim's page down with it.
        try:
            return claim_diagram_state(obj)
        except Exception:
            logger.exception("process diagram failed", extra={"claim": obj.pk})
            return None

    def get_fieldsets(self, request, obj=None):
        # The claim's complaints are shown to those who may see complaints only.
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm("meter_service.view_complaint"):
            return fieldsets
        return [(t, box) for t, box in fieldsets if "complaints_display" not in box["fields"]]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, box in self.fieldsets for name in box["fields"]]

    def has_change_permission(self, request, obj=None) -> bool:
        # Claims change only through services (intake, payment, cancel), never by form.
        return False

    @display(description=_("tracking code"), ordering="tracking_code")
    def code(self, obj):
        return format_html(
            '<span class="meter-ltr meter-nowrap">{}</span>', tracking.display(obj.tracking_code)
        )

    @display(
        description=_("status"),
        ordering="status",
        label={str(v): c for v, c in STATUS_COLORS.items()},
    )
    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("status"))
    def status_badge(self, obj):
        # The list's label column is a (value, text) pair; a read-only field shows text.
        return obj.get_status_display()

    @display(description=_("total (Rial)"), ordering="total_fee")
    def total(self, obj):
        return rial_text(obj.total_fee)

    @display(description=_("last meter reading (m³)"))
    def reading_display(self, obj):
        return f"{format_quantity(obj.last_reading)} ({format_date(obj.last_reading_date)})"

    @display(description=_("filed at"))
    def filed_at_display(self, obj):
        return format_datetime(obj.filed_at)

    @display(description=_("paid at"))
    def paid_at_display(self, obj):
        return format_datetime(obj.paid_at) or "—"

    @display(description=_("pay by"))
    def expires_at_display(self, obj):
        return format_datetime(obj.expires_at) or "—"

    @display(description=_("more details"))
    def extra_display(self, obj):
        return claim_page.claim_details_html(obj)

    @display(description=_("documents checked"))
    def checklist_display(self, obj):
        labels = {
            "national_id_seen": _("National ID card (or company papers) seen"),
            "reading_seen": _("Meter reading checked"),
            "bill_seen": _("Last settled bill seen"),
        }
        if not obj.documents_checked:
            return "—"
        return format_html_join(
            "",
            "<div>{} {}</div>",
            (
                ("✔" if done else "✘", labels.get(key, key))
                for key, done in obj.documents_checked.items()
            ),
        )

    @display(description=_("fee"))
    def fee_display(self, obj):
        return format_html(
            "{}: {}<br>{}: {}<br>{}: {}<br><strong>{}: {}</strong>",
            _("Meter test fee"),
            rial_text(obj.test_fee),
            _("VAT (Rial)"),
            rial_text(obj.vat),
            _("channel fee (Rial)"),
            rial_text(obj.channel_fee),
            _("total (Rial)"),
            rial_text(obj.total_fee),
        )

    @display(description=_("Timeline"))
    def timeline(self, obj):
        process = getattr(obj, "process", None)  # claims filed before the process have none
        return claim_page.history_html(
            selectors.claim_timeline(claim=obj).select_related("actor"),
            process.version if process is not None else None,
        )

    def history_rows(self, obj) -> list:
        return claim_page.history_rows(obj)

    @display(description=_("open steps"))
    def open_steps(self, obj):
        return claim_page.open_steps_html(obj, getattr(obj, "_viewer", None))

    @display(description=_("test visit"))
    def visit_display(self, obj):
        if not obj.test_visit_date:
            return "—"
        return f"{format_date(obj.test_visit_date)} {obj.get_test_visit_time_display()}"

    @display(description=_("service level"))
    def sla_display(self, obj):
        return claim_page.sla_html(obj)

    @display(description=_("replacement"))
    def replacement_display(self, obj):

        return replacement_html(obj, getattr(obj, "_viewer", None))

    @display(description=_("bill correction"))
    def correction_display(self, obj):

        return claim_correction_html(obj)

    @display(description=_("meter tests"))
    def inspections_display(self, obj):

        return claim_inspections_html(obj)

    @display(description=_("complaints"))
    def complaints_display(self, obj):

        return claim_complaints_html(obj, getattr(obj, "_viewer", None))

    def get_object(self, request, object_id, from_field=None):
        # The open steps link to the task pages of the viewer's own lanes.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer = request.user
        return obj

    # --- actions on one claim: a confirm page (GET), then the service (POST) ---------------

    def _confirm(self, request, object_id, *, title, explanation, button, note, allowed, perform):
        claim = self._claim(request, object_id)
        if request.method == "POST":
            try:
                message = perform(claim)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, message)
            return redirect(reverse("admin:meter_service_claim_change", args=[claim.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title % {"code": code_text(claim.tracking_code)},
            "claim": claim,
            "explanation": explanation,
            "button": button,
            "note_name": note[0],
            "note_label": note[1],
            "allowed": allowed(claim),
        }
        return TemplateResponse(request, "meter_service/claim/confirm.html", context)

    def get_actions_detail(self, request, object_id):
        """The claim page's buttons, less those its state refuses (a closed claim offers
        neither cancelling nor a payment; their confirm pages would only say no)."""
        actions = super().get_actions_detail(request, object_id)
        claim = Claim.objects.filter(pk=unquote(str(object_id))).only("status").first()
        if claim is None:
            return actions
        refused = {name for name, allowed in self._state_rules.items() if not allowed(claim)}
        return [action for action in actions if action.method.__name__ not in refused]

    # What each action on one claim asks of its state (the confirm pages ask it again).
    _state_rules = {
        "cancel_action": rules.can_cancel,
        "record_payment_action": rules.can_pay,
    }

    def has_cancel_action_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("meter_service.change_claim")

    @action(
        description=_("Cancel claim"),
        url_path="cancel",
        permissions=["cancel_action"],
        icon="cancel",
    )
    def cancel_action(self, request, object_id):
        def perform(claim):
            services.claim_cancel(
                claim=claim, actor=request.user, reason=request.POST.get("reason", "")
            )
            return _("The claim was cancelled.")

        return self._confirm(
            request,
            object_id,
            title=_("Cancel claim %(code)s"),
            explanation=_(
                "The claim ends and its meter may take a new claim. This cannot be undone."
            ),
            button=_("Cancel claim"),
            note=("reason", _("Reason")),
            allowed=self._state_rules["cancel_action"],
            perform=perform,
        )

    def has_record_payment_action_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("meter_service.change_claim")

    @action(
        description=_("Record payment in person"),
        url_path="record-payment",
        permissions=["record_payment_action"],
        icon="point_of_sale",
    )
    def record_payment_action(self, request, object_id):

        def perform(claim):
            payment_record_in_person(
                claim=claim,
                actor=request.user,
                receipt_number=normalize_input(request.POST.get("receipt_number", "")).strip()[:40],
            )
            return _("The payment was recorded.")

        return self._confirm(
            request,
            object_id,
            title=_("Record the fee of claim %(code)s paid in person"),
            explanation=_("Take the full fee from the subscriber before you record it."),
            button=_("Record payment"),
            note=("receipt_number", _("receipt number")),
            allowed=self._state_rules["record_payment_action"],
            perform=perform,
        )

    def _claim(self, request, object_id) -> Claim:
        return permissions.access(request.user, Claim.objects.all(), unquote(str(object_id)))

    # --- intake ----------------------------------------------------------------------------

    def get_urls(self):
        intake = path(
            "intake/",
            self.admin_site.admin_view(self.intake_view),
            name="meter_service_claim_intake",
        )
        phone = path(
            "phone/",
            self.admin_site.admin_view(self.phone_view),
            name="meter_service_claim_phone",
        )
        return [intake, phone, *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:meter_service_claim_intake")

    def intake_view(self, request):
        """File an in-person claim: look the subscriber up, check documents, preview the fee."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = use_desk_widgets(DeskIntakeForm(request.POST or None, request.FILES or None))
        return self._filing_page(
            request,
            form,
            channel=Channel.IN_PERSON,
            title=_("File an in-person claim"),
            template="meter_service/claim/intake.html",
        )

    def phone_view(self, request):
        """File a claim taken by phone: the caller names and proves the subscription."""
        if not request.user.has_perm(FILE_PHONE_CLAIM):
            raise PermissionDenied
        form = use_desk_widgets(PhoneClaimForm(request.POST or None))
        return self._filing_page(
            request,
            form,
            channel=Channel.PHONE,
            title=_("File a claim by phone"),
            template="meter_service/claim/phone.html",
        )

    def _filing_page(self, request, form, *, channel: str, title, template: str):
        """Preview the fee or file the claim through the filing service every channel uses."""
        quote = None
        definitions = self.custom_definitions(request)
        custom_fields = add_custom_fields(form, definitions)
        if request.method == "POST" and "_preview" in request.POST:
            # The fee depends only on the subscriber and the day: show it as soon as the
            # subscriber is known, whatever else the form still lacks.
            form.is_valid()
            if hasattr(form, "subscriber"):
                quote = self._quote(form, form.subscriber, channel)
        elif request.method == "POST" and form.is_valid():
            checklist = form.checklist() if hasattr(form, "checklist") else None
            try:
                claim = services.claim_file(
                    subscriber=form.subscriber,
                    channel=channel,
                    actor=request.user,
                    documents_checked=checklist,
                    custom_fields=custom_cleaned(definitions, form.cleaned_data),
                    **form.claim_fields(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Claim %(code)s was filed.") % {"code": code_text(claim.tracking_code)},
                )
                return redirect(reverse("admin:meter_service_claim_change", args=[claim.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "quote": quote,
            "custom_fields": custom_fields,
        }
        return TemplateResponse(request, template, context)

    def _quote(self, form, subscriber, channel: str):
        filing = selectors.claim_filing_context(subscriber=subscriber, channel=channel)
        if filing.installation is None:
            form.add_error(None, rules.NO_METER_MESSAGE)
        elif filing.quote_error:
            form.add_error(None, filing.quote_error)
        return filing.quote


# The claims of a meter, with their tests, on its history page.
history.register_history_source(selectors.claims_section)
