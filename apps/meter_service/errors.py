"""Error pages (404, 403, 500, CSRF failure) in the user's language and in each site's look.

The site is chosen by the request's path: the counter offices' portal (/office/), the staff
desk (/desk/), the API (/api/, which answers JSON in the API's error shape) and otherwise the
subscribers' portal. Every page links back to its site's home; the 500 page shows the
request id that the request log and the exception's log line carry (logs.py), so staff can
find what went wrong from what a user reads out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext_lazy as _

from apps.meter_service.logs import request_id_var

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
    "not_found",
    _("Page not found"),
    _("The page you asked for does not exist or has moved. Check the address you typed."),
)
FORBIDDEN = ErrorKind(
    403,
    "permission_denied",
    _("You may not see this page"),
    _(
        "Your account does not give access to this page. If you need it, sign in with "
        "another account or ask the service desk."
    ),
)
SERVER_ERROR = ErrorKind(
    500,
    "server_error",
    _("Something went wrong"),
    _(
        "The service ran into an error and could not finish your request. Please try again "
        "in a few minutes."
    ),
)
CSRF_FAILED = ErrorKind(
    403,
    "csrf_failed",
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
    from apps.meter_service.sites import staff_site

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


def error_response(request: HttpRequest, kind: ErrorKind) -> HttpResponse:
    """Answer an error in the request's site: JSON for the API, else that site's page."""
    site = site_of(request.path)
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
    try:
        if site == DESK:
            context = {**_desk_context(request), **context}
        body = render_to_string(template, context, request=request)
    except Exception:
        # The error page must not fail in its turn (say the database is down): a bare page.
        logger.exception("error page could not be rendered", extra={"status": kind.status})
        body = _fallback_page(kind, request_id)
    return HttpResponse(body, status=kind.status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NOT_FOUND)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, FORBIDDEN)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django has already logged the exception (logger django.request) with this request's id.
    return error_response(request, SERVER_ERROR)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("csrf check failed", extra={"path": request.path, "reason": reason})
    return error_response(request, CSRF_FAILED)
