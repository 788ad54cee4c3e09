"""Error pages (404, 403, 500, CSRF failure) in the user's language and in each site's look.

The site is chosen by the request's path: the counter offices' portal (/office/), the staff
desk (/desk/), the API (/api/, which answers JSON in the API's error shape) and otherwise the
subscribers' portal. Every page links back to its site's home; the 500 page shows the
request id that the request log and the exception's log line carry (logs.py), so staff can
find what went wrong from what a user reads out.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext_lazy as _
from redis import exceptions as redis_errors

from apps.meter_service.core.error_codes import ApiErrorCode
from apps.meter_service.core.logs import request_id_var
from apps.meter_service.sites import staff_site

logger = logging.getLogger("meter_service.errors")

PORTAL, OFFICE, DESK, API = "portal", "office", "desk", "api"


@dataclass(frozen=True)
class ErrorKind:
    status: int
    code: str
    title: Promise
    text: Promise


NOT_FOUND = ErrorKind(
    404,
    ApiErrorCode.NOT_FOUND,
    _("Page not found"),
    _("The page you asked for does not exist or has moved. Check the address you typed."),
)
FORBIDDEN = ErrorKind(
    403,
    ApiErrorCode.PERMISSION_DENIED,
    _("You may not see this page"),
    _(
        "Your account does not give access to this page. If you need it, sign in with "
        "another account or ask the service desk."
    ),
)
SERVER_ERROR = ErrorKind(
    500,
    ApiErrorCode.SERVER_ERROR,
    _("Something went wrong"),
    _(
        "The service ran into an error and could not finish your request. Please try again "
        "in a few minutes."
    ),
)
# An outage of the database or Redis: the request may be sent again in a moment, and the API
# answers JSON 503 (never an HTML 500), so a client retries instead of reporting a bug.
UNAVAILABLE = ErrorKind(
    503,
    ApiErrorCode.SERVICE_UNAVAILABLE,
    _("The service is briefly unavailable"),
    _(
        "The service cannot reach its records at this moment. Nothing you sent before was "
        "lost; please try again in a minute."
    ),
)
# The bank sent the payer back while the database is out of reach: the payment is settled
# later with the bank (payments_reconcile), so the payer is told so, never shown an error.
PAYMENT_CONFIRMING = ErrorKind(
    202,
    ApiErrorCode.PAYMENT_CONFIRMING,
    _("We are confirming your payment"),
    _(
        "Your return from the bank was received. We are confirming your payment with the "
        "bank; within a few minutes your claim's page shows the result. Do not pay again: "
        "if the bank took the money and the payment cannot be confirmed, it is returned to "
        "you by the bank."
    ),
)
# Seconds a client should wait before sending again after a 503 (the Retry-After header).
RETRY_AFTER_SECONDS = 30
CSRF_FAILED = ErrorKind(
    403,
    ApiErrorCode.CSRF_FAILED,
    _("The form could not be accepted"),
    _(
        "For your security the form was refused: the page was open for a long time, or "
        "your browser does not keep this site's cookies. Go back, reload the page and send "
        "the form again."
    ),
)

HOME_LINKS: dict[str, tuple[str, Promise]] = {
    PORTAL: ("portal:home", _("Back to the portal's home page")),
    OFFICE: ("office:dashboard", _("Back to the counter office portal")),
    DESK: ("admin:index", _("Back to the desk")),
}
REFERENCE_LABEL = _("Reference")
HOME_PAGE_LABEL = _("Home page")
PUBLIC_BASES = {
    PORTAL: "meter_service/portal/base.html",
    OFFICE: "meter_service/office/base.html",
}


def site_of(path: str) -> str:
    """Return which site a path belongs to; anything not another site's is the portal's."""
    for prefix, site in (("/api/", API), ("/office/", OFFICE), ("/desk/", DESK)):
        if path.startswith(prefix):
            return site
    return PORTAL


def _desk_context(request: HttpRequest) -> dict:
    """The desk theme's context (its styles and colours), as the desk's own pages get it."""

    return staff_site.each_context(request)


def _fallback_page(kind: ErrorKind, request_id: str) -> str:
    """A page that needs no template, for when rendering the site's page fails too."""
    direction = "rtl" if get_language_bidi() else "ltr"
    reference = (
        f'<p>{escape(REFERENCE_LABEL)}: <bdi dir="ltr">{escape(request_id)}</bdi></p>'
        if request_id
        else ""
    )
    return (
        f'<!doctype html><html lang="{get_language()}" dir="{direction}"><meta charset="utf-8">'
        f"<title>{escape(kind.title)}</title><h1>{escape(kind.title)}</h1>"
        f'<p>{escape(kind.text)}</p>{reference}<p><a href="/">{escape(HOME_PAGE_LABEL)}</a></p>'
    )


def is_outage(exc: BaseException | None) -> bool:
    """Whether an error is the database or Redis being out of reach, not a bug."""
    return isinstance(
        exc,
        DatabaseError
        | redis_errors.ConnectionError
        | redis_errors.TimeoutError
        | redis_errors.BusyLoadingError,
    ) and not _is_integrity_error(exc)


def _is_integrity_error(exc: BaseException) -> bool:
    from django.db import DataError, IntegrityError, ProgrammingError

    # Bugs or bad data, not an outage: these stay 500s.
    return isinstance(exc, IntegrityError | DataError | ProgrammingError)


def error_response(request: HttpRequest, kind: ErrorKind) -> HttpResponse:
    """Answer an error in the request's site: JSON for the API, else that site's page."""
    site = site_of(request.path)
    if kind.status == 503 or kind is PAYMENT_CONFIRMING:
        response = _outage_response(request, site, kind)
        if kind.status == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    request_id = request_id_var.get() if kind is SERVER_ERROR else ""
    if site == API:
        extra = {"code": kind.code, **({"request_id": request_id} if request_id else {})}
        return JsonResponse({"message": str(kind.title), "extra": extra}, status=kind.status)
    url_name, home_label = HOME_LINKS[site]
    context = {
        "title": kind.title,
        "text": kind.text,
        "status": kind.status,
        "request_id": request_id,
        "home_url": reverse(url_name),
        "home_label": home_label,
        "base_template": PUBLIC_BASES.get(site, ""),
    }
    template = f"meter_service/errors/{'desk' if site == DESK else 'page'}.html"
    body: str
    try:
        if site == DESK:
            context = {**_desk_context(request), **context}
        body = render_to_string(template, context, request=request)
    except Exception:
        # The error page must not fail in its turn (say the database is down): a bare page.
        logger.exception("error page could not be rendered", extra={"status": kind.status})
        body = _fallback_page(kind, request_id)
    return HttpResponse(body, status=kind.status)


def _outage_response(request: HttpRequest, site: str, kind: ErrorKind) -> HttpResponse:
    """The page or JSON of an outage, made without the database: the page is rendered
    without the request, so no context processor reads the session or the user."""
    if site == API:
        return JsonResponse(
            {"message": str(kind.title), "extra": {"code": kind.code}}, status=kind.status
        )
    url_name, home_label = HOME_LINKS[site]
    context = {
        "title": kind.title,
        "text": kind.text,
        "status": kind.status,
        "home_url": reverse(url_name),
        "home_label": home_label,
        "base_template": PUBLIC_BASES.get(site, PUBLIC_BASES[PORTAL]),
    }
    body: str
    try:
        body = render_to_string("meter_service/errors/page.html", context)
    except Exception:
        logger.exception("outage page could not be rendered", extra={"status": kind.status})
        body = _fallback_page(kind, "")
    return HttpResponse(body, status=kind.status)


def payment_confirming(request: HttpRequest) -> HttpResponse:
    """The payer's page when the bank's callback meets a database outage."""
    return error_response(request, PAYMENT_CONFIRMING)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NOT_FOUND)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, FORBIDDEN)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django has already logged the exception (logger django.request) with this request's id,
    # and calls this inside its handler, so the exception is the one being handled.
    if is_outage(sys.exc_info()[1]):
        # A middleware may meet the outage before the callback view (the payer's session and
        # account are read first): the payer still gets the page saying the payment is
        # being confirmed.
        if request.path == reverse("payment:callback"):
            return error_response(request, PAYMENT_CONFIRMING)
        return error_response(request, UNAVAILABLE)
    return error_response(request, SERVER_ERROR)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("csrf check failed", extra={"path": request.path, "reason": reason})
    return error_response(request, CSRF_FAILED)
