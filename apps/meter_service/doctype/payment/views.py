"""The payer's round trip through the gateway: start, come back from the bank, see the result."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from apps.meter_service import errors, permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.client_address import public_url
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.claim.selectors import claim_by_tracking_code, claim_get
from apps.meter_service.doctype.payment import selectors, services
from apps.meter_service.doctype.payment.models import PaymentStatus

logger = logging.getLogger("meter_service.payment")

PAID_MESSAGE = _("The payment was received. Your claim goes ahead to the meter test.")
NOT_PAID_MESSAGE = _("The payment was not completed; no money was taken for this claim.")
RETRY_MESSAGE = _(
    "The result of your payment could not be confirmed with the bank yet. Nothing is lost: "
    "try again in a minute."
)


def _login_url() -> str:
    try:
        return reverse("portal:login")
    except NoReverseMatch:
        return settings.LOGIN_URL


def _claim_page(claim: Claim) -> str | None:
    """Return the owner's page of the claim in the portal, if the portal is there."""
    try:
        return reverse("portal:claim_detail", kwargs={"code": claim.tracking_code})
    except NoReverseMatch:
        return None


def _is_owner(user: User | AnonymousUser, claim: Claim) -> bool:
    return user.is_authenticated and claim.subscriber.user_id == user.pk


@require_POST
def payment_start(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """Start an online payment of a claim's fee and send the payer to the gateway."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    found = claim_by_tracking_code(code=tracking_code)
    if found is None:
        raise Http404
    claim = claim_get(user=request.user, pk=found.pk)
    if not (_is_owner(request.user, claim) or permissions.is_company_staff(request.user)):
        raise Http404  # the same answer as for a claim that does not exist
    callback_url = public_url(request, reverse("payment:callback"))
    try:
        gateway_url = services.payment_start_gateway(
            claim=claim, actor=request.user, callback_url=callback_url
        )
    except ValidationError as error:
        context = {
            "title": _("The payment could not be started"),
            "errors": error.messages,
            "code_display": tracking.display(claim.tracking_code),
            "back_url": _claim_page(claim) if _is_owner(request.user, claim) else None,
        }
        status = 503 if (getattr(error, "code", None) or "").startswith("gateway") else 409
        return render(request, "meter_service/payment/problem.html", context, status=status)
    return redirect(gateway_url)


@require_GET
def payment_callback(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the payer back: settle the payment, then show its outcome.

    No login is needed (the payer may come back without a session); the outcome page shows
    no personal data, and the owner, when logged in, is taken to the claim's page instead.

    With the database out of reach the payer is told that the payment is being confirmed
    (never an error page): the bank does not call back again, and payments_reconcile
    settles the payment with the bank once the database is back.
    """
    try:
        payment = services.payment_handle_callback(
            authority=request.GET.get("Authority", ""), status=request.GET.get("Status", "")
        )
        claim = payment.claim
        owner_page = _claim_page(claim) if _is_owner(request.user, claim) else None
    except DatabaseError as error:
        if not errors.is_outage(error):
            raise
        logger.warning(
            "payment callback during a database outage: left to payments_reconcile",
            extra={"error": str(error)[:200]},
        )
        return errors.payment_confirming(request)
    except ValidationError as error:
        if getattr(error, "code", None) == "unknown_payment":
            raise Http404 from error
        context = {
            "title": _("Waiting for the bank"),
            "errors": [RETRY_MESSAGE],
            "retry_url": request.get_full_path(),
        }
        return render(request, "meter_service/payment/problem.html", context, status=503)
    if owner_page:
        if payment.status == PaymentStatus.PAID:
            messages.success(request, PAID_MESSAGE)
        else:
            messages.error(request, NOT_PAID_MESSAGE)
        return redirect(owner_page)
    return redirect("payment:result", authority=payment.authority)


@require_GET
def payment_result(request: HttpRequest, authority: str) -> HttpResponse:
    """Show a gateway payment's outcome: tracking code, paid or not, the bank's reference."""
    payment = selectors.payment_by_authority(authority=authority)
    if payment is None:
        raise Http404
    claim = payment.claim
    context = {
        "payment": payment,
        "paid": payment.status == PaymentStatus.PAID,
        "pending": payment.status == PaymentStatus.INITIATED,
        "code_display": tracking.display(claim.tracking_code),
        "claim_url": _claim_page(claim) if _is_owner(request.user, claim) else None,
    }
    return render(request, "meter_service/payment/result.html", context)
