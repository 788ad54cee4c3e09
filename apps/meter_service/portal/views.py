"""Views of the subscriber portal: thin, they check access and call selectors and services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.client_address import client_ip
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.identifiers import clean_digits
from apps.meter_service.doctype.claim import rules, services
from apps.meter_service.doctype.claim.models import Channel, PaymentMethod
from apps.meter_service.doctype.claim.selectors import (
    claim_by_tracking_code,
    claim_filing_context,
    claim_get,
    claim_list,
    claim_public_status,
    claim_result,
    open_claim_for_meter,
    with_display,
)
from apps.meter_service.doctype.claim.timeline import timeline_entries
from apps.meter_service.doctype.complaint.selectors import complaints_for_claim
from apps.meter_service.doctype.correction.models import BillCorrection, CorrectionStatus
from apps.meter_service.doctype.correction.services import statement_ready
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.selectors import labelled_values
from apps.meter_service.doctype.fee_tariff import rules as fee_rules
from apps.meter_service.doctype.fee_tariff.models import FeeKind, FeeTariff
from apps.meter_service.doctype.meter.selectors import current_installation
from apps.meter_service.doctype.otp import rules as otp_rules
from apps.meter_service.doctype.otp import services as otp
from apps.meter_service.doctype.payment.selectors import payment_paid_for_claim
from apps.meter_service.doctype.printout.models import PrintoutKind
from apps.meter_service.doctype.printout.services import printout_pdf
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.subscriber.selectors import subscriber_list
from apps.meter_service.engine import selectors as process_selectors
from apps.meter_service.engine import services as process_services
from apps.meter_service.engine.form_schema import errors_into, task_data
from apps.meter_service.limits.services import rate_count_hit
from apps.meter_service.permissions import Role
from apps.meter_service.portal.forms import (
    CodeForm,
    IdentifierForm,
    PortalClaimForm,
    StatusLookupForm,
)

# Session key of a login in progress: the OTP challenge and where to go afterwards.
LOGIN_SESSION_KEY = "portal_login"
# The counter offices' own fee as the service card states it, shown until a tariff is entered.
COUNTER_OFFICE_FEE_ON_CARD = 109_000


# --- helpers ---------------------------------------------------------------------------


def over_rate_limit(request, scope: str, *, limit: int, window: int) -> bool:
    """Count one attempt from this address; return True when it is over the limit."""
    key = f"meter:portal:{scope}:{client_ip(request)}"
    # In the database: a Redis outage must not lift the limit (limits/services.py).
    return rate_count_hit(key=key, window_seconds=window) > limit


def _setting(name: str) -> int:
    return int(rule_value(name))


def pay_url(claim) -> str:
    """Return where the "pay now" button posts to start a gateway payment."""
    try:
        return reverse("payment:start", args=[claim.tracking_code])
    except NoReverseMatch:
        return f"/pay/{claim.tracking_code}/"


def subscriber_required(view):
    """Let in logged-in subscribers; send others to the portal login."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not permissions.has_role(request.user, Role.SUBSCRIBER):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _claim_for(request, code: str):
    """Return the claim with this tracking code if the user may see it, else raise Http404."""
    claim = claim_by_tracking_code(code=code)
    claim = claim_get(user=request.user, pk=claim.pk if claim is not None else None)
    return with_display(claim)


def _safe_next(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("portal:claim_list")


# --- pages -----------------------------------------------------------------------------


def _general_fee(kind: str) -> int | None:
    """Return the general tariff of a kind in force today (any size, any customer), or None."""
    today = timezone.localdate()
    tariff = fee_rules.pick_tariff(
        FeeTariff.objects.filter(kind=kind, valid_from__lte=today),
        meter_size="",
        customer_type="",
        on_date=today,
    )
    return tariff.amount_rial if tariff else None


def home(request):
    """Say what the service is, what it needs and costs, and how to use it."""
    return render(
        request,
        "meter_service/portal/home.html",
        {
            "test_fee": _general_fee(FeeKind.METER_TEST),
            "office_fee": _general_fee(FeeKind.COUNTER_OFFICE) or COUNTER_OFFICE_FEE_ON_CARD,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Log a subscriber in: subscription number or bill ID, then the code sent by SMS."""

    if request.GET.get("restart") is not None:
        request.session.pop(LOGIN_SESSION_KEY, None)
        return redirect("portal:login")
    pending = request.session.get(LOGIN_SESSION_KEY)
    if pending is None and permissions.has_role(request.user, Role.SUBSCRIBER):
        return redirect(_safe_next(request, request.GET.get("next")))

    if pending is None:
        form = IdentifierForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                challenge = otp.otp_request(
                    identifier=form.cleaned_data["identifier"], ip=client_ip(request)
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                request.session[LOGIN_SESSION_KEY] = {
                    "challenge": challenge.pk,
                    "identifier": form.cleaned_data["identifier"],
                    "next": request.POST.get("next") or request.GET.get("next") or "",
                }
                return redirect("portal:login")
        return render(
            request,
            "meter_service/portal/login.html",
            {"step": "identifier", "form": form, "next": request.GET.get("next", "")},
        )

    code_form = CodeForm(request.POST or None)
    if request.method == "POST" and code_form.is_valid():
        try:
            subscriber = otp.otp_verify(
                challenge_id=pending["challenge"], code=code_form.cleaned_data["code"]
            )
        except ValidationError as error:
            code_form.add_error(None if hasattr(error, "error_dict") else "code", error)
        else:
            user = otp.portal_user_for(subscriber)
            request.session.pop(LOGIN_SESSION_KEY, None)
            login(request, user, backend="apps.meter_service.auth_backend.RoleBackend")
            return redirect(_safe_next(request, pending.get("next")))
    return render(
        request,
        "meter_service/portal/login.html",
        {
            "step": "code",
            "form": code_form,
            "identifier": pending.get("identifier", ""),
            "code_sent_message": _code_sent_message(pending.get("identifier", "")),
        },
    )


def _code_sent_message(identifier: str) -> str:
    """Say a code was sent if what was typed is ours, naming it (in the page's digits)."""

    try:
        message = otp_rules.code_sent_message(identifier)
    except ValueError:  # a login begun before identifiers were normalised on the way in
        return str(otp_rules.CODE_SENT_MESSAGE)
    return local_digits(message)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:home")


@subscriber_required
def claim_list_view(request):
    """List the subscriber's own claims, newest first."""
    claims = [with_display(claim) for claim in claim_list(user=request.user).order_by("-filed_at")]
    return render(request, "meter_service/portal/claim_list.html", {"claims": claims})


def _subscriptions(user) -> list:
    """Return the user's subscriptions, each with its meter and open claim (if any)."""
    subscriptions = list(subscriber_list(user=user))
    for subscription in subscriptions:
        installation = current_installation(subscriber=subscription)
        # Attributes for the templates, set on the instance: no fields of the model.
        subscription.installation = installation  # type: ignore[attr-defined]
        subscription.open_claim = (  # type: ignore[attr-defined]
            open_claim_for_meter(meter=installation.meter) if installation else None
        )
    return subscriptions


@subscriber_required
def claim_start(request):
    """Go to the claim form, or let a subscriber with several subscriptions choose one."""
    subscriptions = _subscriptions(request.user)
    if len(subscriptions) == 1:
        return redirect(
            "portal:claim_new", subscription_number=subscriptions[0].subscription_number
        )
    return render(
        request, "meter_service/portal/claim_choose.html", {"subscriptions": subscriptions}
    )


@subscriber_required
@require_http_methods(["GET", "POST"])
def claim_new(request, subscription_number: str):
    """File a claim for one of the subscriber's subscriptions, with the fee shown first."""
    subscriber = get_object_or_404(
        subscriber_list(user=request.user), subscription_number=clean_digits(subscription_number)
    )
    filing = claim_filing_context(subscriber=subscriber, channel=Channel.WEB)
    installation, quote, quote_error = filing.installation, filing.quote, filing.quote_error
    open_claim = with_display(filing.open_claim)

    if request.method == "POST":
        form = PortalClaimForm(request.POST, request.FILES)
        # The process's claim form (its start event's form-js schema): further details.
        more = process_services.process_claim_form(data=request.POST)
        more_valid = more is None or more.is_valid()
        if more is not None and not more_valid:
            errors_into(form, more)  # listed in the error summary with the claim's own
        if form.is_valid() and more_valid:
            try:
                claim = services.claim_file(
                    subscriber=subscriber,
                    channel=Channel.WEB,
                    actor=request.user,
                    extra_fields=task_data(more.cleaned_data) if more is not None else None,
                    **form.claim_fields(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                code = format_html(
                    '<bdi dir="ltr" class="code">{}</bdi>',
                    local_digits(tracking.display(claim.tracking_code)),
                )
                text = _("Your claim is filed. Your tracking code is %(code)s.")
                messages.success(request, mark_safe(conditional_escape(text) % {"code": code}))
                return redirect("portal:claim_detail", code=claim.tracking_code)
    else:
        form = PortalClaimForm(initial={"contact_mobile": subscriber.mobile})
        more = process_services.process_claim_form()
    return render(
        request,
        "meter_service/portal/claim_new.html",
        {
            "form": form,
            "more_form": more,
            "subscriber": subscriber,
            "installation": installation,
            "meter": installation.meter if installation else None,
            "open_claim": open_claim,
            "quote": quote,
            "quote_toman": quote.total // 10 if quote else None,
            "quote_error": quote_error,
            "no_meter_message": rules.NO_METER_MESSAGE,
            "several_subscriptions": subscriber_list(user=request.user).count() > 1,
            "file_was_chosen": bool(request.FILES),
            "expiry_days": int(rules.rule_setting("PAYMENT_EXPIRY_DAYS")),
        },
    )


@subscriber_required
def claim_detail(request, code: str):
    """Show one of the subscriber's claims with its timeline and what can be done next."""
    claim = _claim_for(request, code)
    return _claim_page(request, claim)


def _claim_page(request, claim, task_forms: dict | None = None, status: int = 200):
    task_forms = task_forms or {}
    steps = [
        (task, task_forms.get(task.pk) or process_services.process_task_form(task=task))
        for task in process_selectors.open_tasks_for(user=request.user, claim=claim)
    ]
    return render(
        request,
        "meter_service/portal/claim_detail.html",
        {
            "claim": claim,
            "steps": steps,
            "timeline": timeline_entries(claim=claim),
            "can_pay": rules.can_pay(claim) and claim.payment_method == PaymentMethod.GATEWAY,
            "pay_url": pay_url(claim),
            "can_cancel": rules.can_cancel(claim),
            # Printed once approved, or once the step is closed with no correction possible.
            "has_statement": BillCorrection.objects.filter(
                claim=claim,
                status__in=[CorrectionStatus.APPROVED, CorrectionStatus.NOT_POSSIBLE],
            ).exists(),
            "complaints": _claim_complaints(request, claim),
            "result": claim_result(claim),
            "payment": payment_paid_for_claim(claim=claim),
            # Custom fields marked public, read-only.
            "custom_values": labelled_values(
                CustomFieldTarget.CLAIM, claim.custom_fields, public_only=True
            ),
        },
        status=status,
    )


def _claim_complaints(request, claim) -> list:
    """The complaints about the claim that the user may see, newest first."""
    # Local: the complaint pages use this module's sign-in decorators.
    from apps.meter_service.portal.complaints import with_complaint_display

    return [
        with_complaint_display(complaint)
        for complaint in complaints_for_claim(user=request.user, claim=claim)
    ]


@subscriber_required
@require_POST
def claim_step(request, code: str, task_id):
    """Complete one of the subscriber's steps of the claim (giving access to the meter)."""
    claim = _claim_for(request, code)
    task = (
        process_selectors.open_tasks_for(user=request.user, claim=claim)
        .filter(task_id=task_id)
        .first()
    )
    if task is None:
        messages.error(request, _("This step is no longer open."))
        return redirect("portal:claim_detail", code=claim.tracking_code)
    try:
        process_services.process_complete_task(
            task_id=task.task_id, user=request.user, data=request.POST
        )
    except ValidationError as error:
        form = process_services.process_task_form(task=task, data=request.POST)
        if form.is_valid():  # refused for another reason (a conflict): say so
            for message in error.messages:
                messages.error(request, message)
            return redirect("portal:claim_detail", code=claim.tracking_code)
        return _claim_page(request, claim, {task.pk: form}, status=400)
    messages.success(request, _("Thank you; we will arrange the visit and let you know."))
    return redirect("portal:claim_detail", code=claim.tracking_code)


@subscriber_required
@require_POST
def claim_cancel_view(request, code: str):
    """Cancel one of the subscriber's unpaid claims."""
    claim = _claim_for(request, code)
    try:
        services.claim_cancel(claim=claim, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The claim is cancelled."))
    return redirect("portal:claim_detail", code=claim.tracking_code)


def claim_receipt(request, code: str):
    """Send the claim's receipt as a PDF: to the claim's subscriber or company staff only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))
    claim = _claim_for(request, code)
    is_owner = (
        permissions.has_role(request.user, Role.SUBSCRIBER)
        and claim.subscriber.user_id == request.user.pk
    )
    if not (is_owner or permissions.is_company_staff(request.user)):
        raise Http404

    response = HttpResponse(
        printout_pdf(kind=PrintoutKind.RECEIPT, document=claim), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="receipt-{claim.tracking_code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def claim_correction_statement(request, code: str):
    """Send the approved bill correction's statement: to the claim's subscriber or staff."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))

    claim = _claim_for(request, code)
    correction = permissions.scope(request.user, BillCorrection.objects.filter(claim=claim)).first()
    if correction is None or not statement_ready(correction):
        raise Http404
    response = HttpResponse(
        printout_pdf(kind=PrintoutKind.CORRECTION_STATEMENT, document=correction),
        content_type="application/pdf",
    )
    name = f"correction-{claim.tracking_code}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def status_lookup(request):
    """Public status lookup by tracking code and the mobile's last four digits.

    The answer holds the status and the timeline only, never the subscriber's name, address
    or mobile; a wrong pair gets one message whichever half was wrong, and the lookups from
    one address are limited so codes cannot be guessed.
    """
    form = StatusLookupForm(request.POST or None)
    claim, status = None, 200
    if request.method == "POST":
        limited = over_rate_limit(
            request,
            "status",
            limit=_setting("STATUS_LOOKUP_LIMIT"),
            window=_setting("STATUS_LOOKUP_WINDOW_SECONDS"),
        )
        if limited:
            form.is_valid()  # bind the data so the fields keep what was typed
            form.add_error(
                None, _("Too many lookups from your connection. Try again in a few minutes.")
            )
            status = 429
        elif form.is_valid():
            claim = claim_public_status(
                code=form.cleaned_data["code"], mobile_last4=form.cleaned_data["mobile_last4"]
            )
            if claim is None:
                form.add_error(
                    None,
                    _("No claim matches this tracking code and mobile number. Check both."),
                )
    return render(
        request,
        "meter_service/portal/status.html",
        {
            "form": form,
            "claim": with_display(claim),
            "timeline": timeline_entries(claim=claim) if claim else [],
        },
        status=status,
    )
