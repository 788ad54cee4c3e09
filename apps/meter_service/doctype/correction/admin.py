"""Bill corrections in the desk: the billing officer's page, the manager's approval, the
statement, and the billing adjustments waiting for export."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from apps.meter_service import permissions
from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core import tracking
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter, use_desk_widgets
from apps.meter_service.core.display import rial_text
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.correction import selectors, services
from apps.meter_service.doctype.correction.forms import (
    CorrectionBillForm,
    CorrectionComputeForm,
    CorrectionNotPossibleForm,
)
from apps.meter_service.doctype.correction.models import (
    BillCorrection,
    BillingAdjustment,
    CorrectionStatus,
)
from apps.meter_service.doctype.gas_tariff.selectors import tariff_label
from apps.meter_service.doctype.payment.admin import (
    EXPORT_ROLES,
    ExportedFilter,
    ReadOnlyDocumentAdmin,
    _csv_response,
)
from apps.meter_service.doctype.printout.models import PrintoutKind
from apps.meter_service.doctype.printout.services import printout_pdf
from apps.meter_service.engine import task_pages
from apps.meter_service.sites import staff_site

STATUS_COLORS = {
    CorrectionStatus.DRAFT: "warning",
    CorrectionStatus.AWAITING_APPROVAL: "info",
    CorrectionStatus.APPROVED: "success",
    CorrectionStatus.NOT_POSSIBLE: "danger",
}


def _add_errors(form, error: ValidationError) -> None:
    """A service's refusal on the form: by field where the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _open_task(correction: BillCorrection, element_id: str):
    return services._open_step(correction.claim, element_id)


def _correction_page(task) -> str:
    """The billing officer's and the manager's steps open the claim's correction page."""
    return reverse("admin:meter_service_billcorrection_for_claim", args=[task.instance.claim_id])


task_pages.register(services.CORRECTION_STEP, _correction_page)
task_pages.register(services.APPROVAL_STEP, _correction_page)


@admin.register(BillCorrection, site=staff_site)
class BillCorrectionAdmin(DocumentAdmin):
    list_display = ["code", "subscriber", "status_badge", "difference", "window", "computed_at"]
    list_filter = ["status", "verdict"]
    search_fields = ["claim__tracking_code", "claim__subscriber__subscription_number"]
    list_select_related = ["claim", "claim__subscriber"]

    def has_add_permission(self, request) -> bool:
        return False  # computed from a claim's test, never typed in

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # changed only through the page's actions (services)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description=_("claim"))
    def code(self, obj):
        return tracking.display(obj.claim.tracking_code)

    @display(description=_("subscriber"))
    def subscriber(self, obj):
        return obj.claim.subscriber

    @display(description=_("status"), label=STATUS_COLORS)
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("difference (Rial)"))
    def difference(self, obj):
        return rial_text(obj.difference_rial)

    @display(description=_("corrected days"))
    def window(self, obj):
        return f"{format_date(obj.window_start)} – {format_date(obj.window_last_day)}"

    # --- the page ----------------------------------------------------------------------------
    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("claim/<int:claim_id>/", view(self.for_claim_view), name=f"{name}_for_claim"),
            path(
                "claim/<int:claim_id>/record-bill/",
                view(self.record_bill_view),
                name=f"{name}_record_bill",
            ),
            path(
                "claim/<int:claim_id>/not-possible/",
                view(self.not_possible_view),
                name=f"{name}_not_possible",
            ),
            path("<path:object_id>/compute/", view(self.compute_view), name=f"{name}_compute"),
            path("<path:object_id>/submit/", view(self.submit_view), name=f"{name}_submit"),
            path("<path:object_id>/decide/", view(self.decide_view), name=f"{name}_decide"),
            path(
                "<path:object_id>/statement.pdf",
                view(self.statement_view),
                name=f"{name}_statement",
            ),
            *super().get_urls(),
        ]

    def _correction(self, request, object_id) -> BillCorrection:
        if not self.has_view_permission(request):
            raise PermissionDenied
        found = permissions.access(request.user, BillCorrection.objects.all(), unquote(object_id))
        return selectors.correction_detail(found.pk)

    def for_claim_view(self, request, claim_id: int):
        """From the billing officer's inbox step: compute the first draft, then show it.

        When it cannot be computed (no bill in the window, ...) the step's page says why and
        offers the ways on: record the missing bill, or close the step without a correction.
        """
        claim = permissions.access(request.user, Claim.objects.all(), claim_id)
        correction = selectors.correction_of_claim(claim)
        if correction is None:
            try:
                correction = services.correction_compute(claim=claim, actor=request.user)
            except ValidationError as error:
                return self._step_page(request, claim, problem=" ".join(error.messages))
        return redirect(self.page_url("change", correction.pk))

    def _step_page(
        self, request, claim, *, problem="", bill_form=None, close_form=None, status=200
    ):
        """The billing officer's step while there is no correction to show."""

        task = services._open_step(claim, services.CORRECTION_STEP)
        may_act = task is not None and permissions.may_work_lane(request.user, task.lane)
        context = self.page_context(
            request,
            title=gettext("Bill correction of claim %(code)s")
            % {"code": tracking.display(claim.tracking_code)},
            claim=claim,
            problem=problem,
            may_act=may_act,
            bills=list(
                Bill.objects.filter(subscriber=claim.subscriber).order_by("-period_start")[:6]
            ),
            bill_form=use_desk_widgets(bill_form or CorrectionBillForm()),
            close_form=use_desk_widgets(close_form or CorrectionNotPossibleForm()),
            claim_url=reverse("admin:meter_service_claim_change", args=[claim.pk]),
        )
        return TemplateResponse(
            request, "meter_service/correction/step_page.html", context, status=status
        )

    def _recompute(self, request, claim) -> BillCorrection:
        """Compute again with what the officer set on the draft (reading date, overrides)."""
        draft = selectors.correction_of_claim(claim)
        if draft is None or draft.status != CorrectionStatus.DRAFT:
            return services.correction_compute(claim=claim, actor=request.user)
        overrides = {
            period.bill_id: (period.corrected_m3, period.note)
            for period in draft.periods.filter(method="override").exclude(bill=None)
            if period.bill_id is not None  # excluded above: for the type
        }
        return services.correction_compute(
            claim=claim,
            actor=request.user,
            last_verified_reading_date=draft.last_verified_reading_date,
            window_note=draft.window_note,
            overrides=overrides,
        )

    def record_bill_view(self, request, claim_id: int):
        """Record a missing bill from the subscriber's paper bill, then compute again."""
        claim = permissions.access(request.user, Claim.objects.all(), claim_id)
        if request.method != "POST":
            return redirect(self.page_url("for_claim", claim.pk))
        form = CorrectionBillForm(request.POST)
        if form.is_valid():
            try:
                services.correction_record_bill(
                    claim=claim, actor=request.user, data=form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
        if not form.is_valid():
            return self._step_page(
                request, claim, problem=gettext("The bill was not recorded."), bill_form=form,
                status=400,
            )  # fmt: skip
        messages.success(request, gettext("The bill was recorded."))
        try:
            correction = self._recompute(request, claim)
        except ValidationError as error:
            return self._step_page(request, claim, problem=" ".join(error.messages))
        messages.success(request, gettext("The correction was computed again."))
        return redirect(self.page_url("change", correction.pk))

    def not_possible_view(self, request, claim_id: int):
        """Close the billing officer's step without a correction, with the reason."""
        claim = permissions.access(request.user, Claim.objects.all(), claim_id)
        if request.method != "POST":
            return redirect(self.page_url("for_claim", claim.pk))
        form = CorrectionNotPossibleForm(request.POST)
        if form.is_valid():
            try:
                correction = services.correction_close_not_possible(
                    claim=claim, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                _add_errors(form, error)
        if not form.is_valid():
            return self._step_page(
                request, claim, problem=gettext("The step was not closed."), close_form=form,
                status=400,
            )  # fmt: skip
        messages.success(request, gettext("The step was closed without a correction."))
        return redirect(self.page_url("change", correction.pk))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        correction = self._correction(request, object_id)
        return self._page(request, correction)

    def _page(self, request, correction, *, form=None, status=200):
        user = request.user
        correction_task = _open_task(correction, services.CORRECTION_STEP)
        approval_task = _open_task(correction, services.APPROVAL_STEP)
        may_review = correction.status == CorrectionStatus.DRAFT and correction_task is not None
        may_review = may_review and permissions.may_work_lane(user, correction_task.lane)
        may_decide = (
            correction.status == CorrectionStatus.AWAITING_APPROVAL
            and approval_task is not None
            and permissions.may_work_lane(user, approval_task.lane)
        )
        if form is None and may_review:
            form = CorrectionComputeForm(
                periods=list(correction.periods.all()),
                initial={
                    "last_verified_reading_date": correction.last_verified_reading_date,
                    "window_note": correction.window_note,
                },
            )

        periods = list(correction.periods.all())
        tariffs = {
            piece.tariff_id: tariff_label(str(piece.tariff_id))
            for period in periods
            for piece in period.pieces.all()
        }
        context = self.page_context(
            request,
            title=gettext("Bill correction of claim %(code)s")
            % {"code": tracking.display(correction.claim.tracking_code)},
            correction=correction,
            periods=periods,
            tariffs=tariffs,
            verdict_label=selectors.verdict_label(correction.verdict),
            form=use_desk_widgets(form) if form is not None else None,
            may_review=may_review,
            may_decide=may_decide,
            bill_form=use_desk_widgets(CorrectionBillForm()) if may_review else None,
            close_form=use_desk_widgets(CorrectionNotPossibleForm()) if may_review else None,
            uncovered=selectors.uncovered_days(correction, periods),
            adjustments=list(correction.claim.billing_adjustments.order_by("created_at", "id")),
            claim_url=reverse("admin:meter_service_claim_change", args=[correction.claim_id]),
            computed_at=format_datetime(correction.computed_at),
        )
        return TemplateResponse(
            request, "meter_service/correction/desk_page.html", context, status=status
        )

    def compute_view(self, request, object_id):
        correction = self._correction(request, object_id)
        if request.method != "POST":
            return redirect(self.page_url("change", correction.pk))
        form = CorrectionComputeForm(request.POST, periods=list(correction.periods.all()))
        if not form.is_valid():
            return self._page(request, correction, form=form, status=400)
        try:
            services.correction_compute(
                claim=correction.claim,
                actor=request.user,
                last_verified_reading_date=form.cleaned_data["last_verified_reading_date"],
                window_note=form.cleaned_data["window_note"],
                overrides=form.overrides(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self._page(request, correction, form=form, status=400)
        messages.success(request, gettext("The correction was computed again."))
        return redirect(self.page_url("change", correction.pk))

    def _act(self, request, object_id, perform, done_message):
        correction = self._correction(request, object_id)
        if request.method != "POST":
            return redirect(self.page_url("change", correction.pk))
        try:
            perform(correction)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done_message)
        return redirect(self.page_url("change", correction.pk))

    def submit_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda c: services.correction_submit(
                correction=c, actor=request.user, note=request.POST.get("note", "")
            ),
            gettext("The correction was submitted."),
        )

    def decide_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda c: services.correction_decide(
                correction=c,
                actor=request.user,
                decision=request.POST.get("decision", ""),
                note=request.POST.get("note", ""),
            ),
            gettext("Your decision was recorded."),
        )

    def statement_view(self, request, object_id):
        correction = self._correction(request, object_id)
        if not services.statement_ready(correction):
            raise Http404(gettext("The statement is printed once the correction is approved."))
        response = HttpResponse(
            printout_pdf(kind=PrintoutKind.CORRECTION_STATEMENT, document=correction),
            content_type="application/pdf",
        )
        name = f"correction-{correction.claim.tracking_code}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


@admin.register(BillingAdjustment, site=staff_site)
class BillingAdjustmentAdmin(ReadOnlyDocumentAdmin):
    list_display = [
        "claim",
        "kind",
        "bill_id",
        "amount",
        "created_at",
        "exported_at",
        "export_batch",
    ]
    list_filter = [ExportedFilter, "kind", ("created_at", JalaliDateRangeFilter), "export_batch"]
    list_filter_submit = True
    search_fields = ["claim__tracking_code", "bill_id", "export_batch"]
    list_select_related = ["claim"]
    fields = [
        "claim",
        "correction",
        "kind",
        "bill_id",
        "corrected_payment_id",
        "period_start",
        "period_end",
        "amount",
        "description",
        "created_jalali",
        "exported_jalali",
        "export_batch",
    ]
    readonly_fields = fields
    actions_list = ["export_pending"]

    @admin.display(description=_("amount (Rial)"), ordering="amount_rial")
    def amount(self, obj) -> str:
        return rial_text(obj.amount_rial)

    def has_export_permission(self, request) -> bool:
        user = request.user
        return user.has_perm("meter_service.change_billingadjustment") and (
            user.is_superuser or permissions.has_role(user, *EXPORT_ROLES)
        )

    @action(
        description=_("Export pending adjustments (CSV)"),
        url_path="export",
        permissions=["export"],
        icon="download",
    )
    def export_pending(self, request):
        """Ask first (GET), export on the confirming POST: an export marks lines exported."""
        changelist = self.page_url("changelist")
        if request.method != "POST":
            pending = selectors.adjustments_pending().count()
            context = self.page_context(
                request,
                title=_("Export pending billing adjustments to the billing system"),
                pending=pending,
                pending_message=ngettext(
                    "%(number)s adjustment is waiting to be posted to a gas bill.",
                    "%(number)s adjustments are waiting to be posted to gas bills.",
                    pending,
                )
                % {"number": pending},
                changelist_url=changelist,
            )
            return TemplateResponse(request, "meter_service/payment/export_confirm.html", context)
        batch_id, csv_text = services.adjustments_export(actor=request.user)
        if not batch_id:
            self.message_user(
                request, _("No billing adjustment is waiting for export."), messages.INFO
            )
            return redirect(changelist)
        return _csv_response(csv_text, f"billing-adjustments-{batch_id}.csv")
