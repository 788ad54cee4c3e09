"""Views of the counter-office portal: thin, they check access and call selectors and services.

An operator logs in with a username and password, works at one office at a time (kept in the
session), and sees only that office's claims. A walk-in subscriber is identified by bill ID
and national ID before any claim is filed for them.
"""

from __future__ import annotations

import time
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from apps.meter_service import login_limits
from apps.meter_service.core import tracking
from apps.meter_service.core.display import code_text, rial_text
from apps.meter_service.doctype.claim import rules as claim_rules
from apps.meter_service.doctype.claim import services as claim_services
from apps.meter_service.doctype.claim.models import Channel, PaymentMethod
from apps.meter_service.doctype.claim.selectors import (
    claim_filing_context,
    with_display,
)
from apps.meter_service.doctype.claim.timeline import timeline_entries
from apps.meter_service.doctype.payment import services as payment_services
from apps.meter_service.doctype.payment.selectors import payment_paid_for_claim
from apps.meter_service.doctype.printout.models import PrintoutKind
from apps.meter_service.doctype.printout.services import printout_pdf
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.engine import services as process_services
from apps.meter_service.engine.form_schema import errors_into, task_data
from apps.meter_service.office import selectors
from apps.meter_service.office.forms import (
    ClaimSearchForm,
    CollectForm,
    OfficeChoiceForm,
    OfficeClaimForm,
    OfficeLoginForm,
    StatementDayForm,
    WalkInForm,
)
from apps.meter_service.office.printing import render_statement_pdf

# Session keys: the office the operator works at now, and the walk-in subscriber identified.
OFFICE_SESSION_KEY = "office_current"
WALK_IN_SESSION_KEY = "office_walk_in"
# An identification is good for one visit at the counter, not for the rest of the day.
WALK_IN_MAX_AGE_SECONDS = 30 * 60
CLAIMS_PER_PAGE = 25


# --- helpers ---------------------------------------------------------------------------


def _safe_next(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("office:dashboard")


def _with_row_display(statement):
    """Attach the grouped tracking codes to a statement's rows."""
    for claim in statement.claims:
        with_display(claim)
    for payment in statement.payments:
        with_display(payment.claim)
    return statement


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def operator_required(view):
    """Let in operators of an active office; set request.office to the session's office.

    Anyone else goes to the office login. An operator of several offices who has not chosen
    one yet goes to the office choice; a removed or deactivated office is dropped at once.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        login_url = reverse("office:login")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url)
        offices = selectors.operator_offices(user=request.user)
        office = offices.filter(pk=request.session.get(OFFICE_SESSION_KEY)).first()
        if office is None:
            request.session.pop(OFFICE_SESSION_KEY, None)
            choices = list(offices[:2])
            if not choices:
                return redirect_to_login(request.get_full_path(), login_url)
            if len(choices) > 1:
                return redirect_to_login(request.get_full_path(), reverse("office:choose"))
            office = choices[0]
            request.session[OFFICE_SESSION_KEY] = office.pk
        request.office = office
        # The header offers "change office" only to operators of more than one.
        request.several_offices = offices.exclude(pk=office.pk).exists()
        return view(request, *args, **kwargs)

    return wrapped


def _walk_in(request) -> Subscriber | None:
    """Return the subscriber identified at this office's counter in this session, if fresh."""
    data = request.session.get(WALK_IN_SESSION_KEY) or {}
    if (
        data.get("office") != request.office.pk
        or time.time() - float(data.get("at", 0)) > WALK_IN_MAX_AGE_SECONDS
    ):
        return None
    subscriber_pk = data.get("subscriber")
    if subscriber_pk is None:
        return None
    return Subscriber.objects.filter(pk=subscriber_pk).first()


# --- login -----------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Log an operator in with username and password; operators of no active office may not."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = OfficeLoginForm(request, data=request.POST or None)
    limited, status = False, 200
    if request.method == "POST":
        username = request.POST.get("username", "")
        if login_limits.is_locked(request, username):
            # Not even checked: the password is not tried while the account or address waits.
            form = OfficeLoginForm(request, initial={"username": username})
            limited, status = True, 429
        elif form.is_valid():
            login_limits.record_success(request, username)
            login(request, form.get_user())
            offices = list(selectors.operator_offices(user=request.user)[:2])
            if len(offices) == 1:
                request.session[OFFICE_SESSION_KEY] = offices[0].pk
                return redirect(_safe_next(request, next_url))
            choose = reverse("office:choose")
            return redirect(f"{choose}?{urlencode({'next': next_url})}" if next_url else choose)
        else:
            # A right password of an account refused here (staff, a subscriber, an operator
            # of no active office) counts too: were it not counted, the limit would tell
            # which guess was right (the next try locked or not).
            login_limits.record_failure(request, username)
    signed_in_elsewhere = (
        request.user.is_authenticated and not selectors.operator_offices(user=request.user).exists()
    )
    return render(
        request,
        "meter_service/office/login.html",
        {
            "form": form,
            "next": next_url,
            "limited": limited,
            "signed_in_elsewhere": signed_in_elsewhere,
        },
        status=status,
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("office:login")


@never_cache
@require_http_methods(["GET", "POST"])
def choose_office(request):
    """Let an operator of several offices choose the one they work at now."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("office:login"))
    offices = selectors.operator_offices(user=request.user)
    if not offices.exists():
        return redirect_to_login(request.get_full_path(), reverse("office:login"))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = OfficeChoiceForm(
        request.POST or None,
        offices=offices,
        initial={"office": request.session.get(OFFICE_SESSION_KEY)},
    )
    if request.method == "POST" and form.is_valid():
        office = form.cleaned_data["office"]
        if request.session.get(OFFICE_SESSION_KEY) != office.pk:
            request.session.pop(WALK_IN_SESSION_KEY, None)
        request.session[OFFICE_SESSION_KEY] = office.pk
        messages.success(request, _("You are working at %(office)s.") % {"office": office.name})
        return redirect(_safe_next(request, next_url))
    return render(
        request, "meter_service/office/choose_office.html", {"form": form, "next": next_url}
    )


# --- pages -----------------------------------------------------------------------------


@operator_required
def dashboard(request):
    """Today at this office: the claims filed, the fees taken, the claims still unpaid."""
    today = timezone.localdate()
    statement = selectors.office_day_statement(user=request.user, office=request.office, day=today)
    awaiting = selectors.office_awaiting_payment(user=request.user, office=request.office)
    return render(
        request,
        "meter_service/office/dashboard.html",
        {
            "today": today,
            "statement": statement,
            "today_claims": [with_display(c) for c in reversed(statement.claims)],
            "awaiting_count": awaiting.count(),
            "awaiting": [with_display(c) for c in awaiting[:10]],
        },
    )


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def walk_in(request):
    """Identify a walk-in subscriber by the bill ID and the holder's national ID."""
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert form.subscriber is not None  # a valid form found the subscriber
        request.session[WALK_IN_SESSION_KEY] = {
            "subscriber": form.subscriber.pk,
            "office": request.office.pk,
            "at": time.time(),
        }
        return redirect("office:claim_new")
    return render(request, "meter_service/office/walk_in.html", {"form": form})


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def claim_new(request):
    """File a claim for the identified walk-in subscriber, with the fee shown before filing."""
    subscriber = _walk_in(request)
    if subscriber is None:
        messages.info(request, _("Identify the subscriber first: bill ID and national ID."))
        return redirect("office:walk_in")
    filing = claim_filing_context(subscriber=subscriber, channel=Channel.COUNTER_OFFICE)
    installation, quote, quote_error = filing.installation, filing.quote, filing.quote_error
    open_claim = with_display(filing.open_claim)

    if request.method == "POST":
        form = OfficeClaimForm(request.POST, request.FILES)
        # The process's claim form (its start event's form-js schema): further details.
        more = process_services.process_claim_form(data=request.POST)
        more_valid = more is None or more.is_valid()
        if more is not None and not more_valid:
            errors_into(form, more)  # listed in the error summary with the claim's own
        if form.is_valid() and more_valid:
            try:
                claim = claim_services.claim_file(
                    subscriber=subscriber,
                    channel=Channel.COUNTER_OFFICE,
                    counter_office=request.office,
                    actor=request.user,
                    extra_fields=task_data(more.cleaned_data) if more is not None else None,
                    **form.claim_fields(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                request.session.pop(WALK_IN_SESSION_KEY, None)
                messages.success(
                    request,
                    _("The claim is filed; tracking code %(code)s. Collect the fee now.")
                    % {"code": code_text(claim.tracking_code)},
                )
                return redirect("office:claim_detail", code=claim.tracking_code)
    else:
        form = OfficeClaimForm(
            initial={
                "contact_mobile": subscriber.mobile,
                "payment_method": PaymentMethod.COUNTER_OFFICE,
            }
        )
        more = process_services.process_claim_form()
    return render(
        request,
        "meter_service/office/claim_new.html",
        {
            "form": form,
            "more_form": more,
            "subscriber": subscriber,
            "installation": installation,
            "meter": installation.meter if installation else None,
            "open_claim": open_claim,
            "quote": quote,
            "quote_error": quote_error,
            "no_meter_message": claim_rules.NO_METER_MESSAGE,
            "file_was_chosen": bool(request.FILES),
        },
    )


@operator_required
def claim_list_view(request):
    """List this office's claims, newest first; search by tracking code and status."""
    claims = selectors.office_claims(user=request.user, office=request.office)
    form = ClaimSearchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["q"]
        if code:
            if tracking.is_valid(code):
                exact = claims.filter(tracking_code=code).first()
                if exact is not None:
                    return redirect("office:claim_detail", code=exact.tracking_code)
            claims = claims.filter(tracking_code__contains=code)
        if form.cleaned_data["status"]:
            claims = claims.filter(status=form.cleaned_data["status"])
    elif form.is_bound:
        claims = claims.none()
    page = Paginator(claims, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    for claim in page.object_list:
        with_display(claim)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "meter_service/office/claim_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@operator_required
def claim_detail(request, code: str):
    """Show one of this office's claims: fee, collection, receipt and timeline."""
    claim = selectors.office_claim(user=request.user, office=request.office, code=code)
    with_display(claim)
    can_collect = (
        claim_rules.can_pay(claim) and claim.payment_method == PaymentMethod.COUNTER_OFFICE
    )
    return render(
        request,
        "meter_service/office/claim_detail.html",
        {
            "claim": claim,
            "payment": payment_paid_for_claim(claim=claim),
            "can_collect": can_collect,
            "collect_form": CollectForm() if can_collect else None,
            "timeline": timeline_entries(claim=claim),
        },
    )


@operator_required
@require_POST
def claim_collect(request, code: str):
    """Record that the office took the claim's total fee at its counter."""
    claim = selectors.office_claim(user=request.user, office=request.office, code=code)
    form = CollectForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("office:claim_detail", code=claim.tracking_code)
    try:
        payment = payment_services.payment_record_counter(
            claim=claim, actor=request.user, receipt_number=form.cleaned_data["receipt_number"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(amount)s Rial collected. Print the receipt and give it to the subscriber.")
            % {"amount": rial_text(payment.amount_rial)},
        )
    return redirect("office:claim_detail", code=claim.tracking_code)


@operator_required
def claim_receipt(request, code: str):
    """Send the claim's receipt as a PDF (in Persian, the language of the printed record)."""

    claim = selectors.office_claim(user=request.user, office=request.office, code=code)
    return _pdf_response(
        printout_pdf(kind=PrintoutKind.RECEIPT, document=claim),
        f"receipt-{claim.tracking_code}.pdf",
    )


def _statement_day(request):
    """Return (form, day) for a statement request: today unless a valid date is asked for."""
    if "day" not in request.GET:
        today = timezone.localdate()
        return StatementDayForm(initial={"day": today}), today
    form = StatementDayForm(request.GET)
    return form, form.cleaned_data["day"] if form.is_valid() else None


@operator_required
def statement(request):
    """The office's daily statement for a chosen date, as a printable page."""
    form, day = _statement_day(request)
    return render(
        request,
        "meter_service/office/statement.html",
        {
            "form": form,
            "statement": (
                _with_row_display(
                    selectors.office_day_statement(
                        user=request.user, office=request.office, day=day
                    )
                )
                if day
                else None
            ),
            "printed_at": timezone.now(),
        },
    )


@operator_required
def statement_pdf(request):
    """The office's daily statement for a chosen date, as a PDF."""

    _form, day = _statement_day(request)
    if day is None:
        return redirect(f"{reverse('office:statement')}?{request.GET.urlencode()}")
    data = _with_row_display(
        selectors.office_day_statement(user=request.user, office=request.office, day=day)
    )
    content = render_statement_pdf(data, operator=request.user, language=get_language())
    filename = f"statement-{request.office.code}-{day.isoformat()}.pdf"
    return _pdf_response(content, filename)
