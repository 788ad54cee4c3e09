"""The Content-Security-Policy of every page (django-csp), and the few pages that need more.

The site-wide policy is in settings (CONTENT_SECURITY_POLICY, built by `site_policy`):
scripts from the site itself and from inline blocks that carry the request's nonce, no
plugins, no <base> elsewhere, never framed, forms posted only to the site and to the bank's
payment page. Two parts of the site run code we do not write and need more, and only they
get it (SECURITY.md says why):

- the staff desk (/desk/, django-unfold): Alpine.js evaluates the expressions in its
  templates' x-data/x-init/@click attributes with `new Function` ('unsafe-eval'; Alpine's
  CSP build reads no globals, DOM objects nor arrow functions, which Unfold's templates use),
  its templates and the dashboards' bars put style attributes in the page ('unsafe-inline'
  for style attributes only: Unfold's and htmx's <style> blocks carry the nonce, see
  templates/unfold/layouts/skeleton.html), and Tailwind draws checkboxes and select arrows
  with data: images;
- the API docs (/api/docs/, Swagger UI): data: images.

Uploaded files keep the sandbox policy that files.py gives them (django-csp leaves a header
that a view has set).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE, Nonce
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

DATA = "data:"


def gateway_origin(gateway: dict[str, Any]) -> str:
    """The scheme, host and port of the bank's payment page, from the site's gateway config.

    The portal posts to /pay/<code>/, which redirects the payer to the gateway; browsers
    check that redirect against form-action, so the policy names exactly this origin.
    """
    url = str(gateway.get("BASE_URL") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def site_policy() -> dict[str, Any]:
    """The CONTENT_SECURITY_POLICY setting: the policy of every page but those below.

    form-action gets the gateway's origin per request, from settings.METER_GATEWAY (see
    ContentSecurityPolicyMiddleware), so that it always names the gateway the site uses.
    """
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE],
            "style-src": [SELF, NONCE],
            "img-src": [SELF],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "frame-ancestors": [NONE],
            "form-action": [SELF],
        }
    }


# Replacements of directives, by path prefix (the first that matches); see the module's doc.
AREA_POLICIES: list[tuple[str, dict[str, list[str | Nonce]]]] = [
    (
        "/desk/",
        {
            "script-src": [SELF, NONCE, UNSAFE_EVAL],
            "style-src": [SELF, NONCE],
            "style-src-attr": [UNSAFE_INLINE],
            "img-src": [SELF, DATA],
        },
    ),
    # Swagger UI draws its icons as data: images.
    ("/api/docs/", {"img-src": [SELF, DATA]}),
]


def area_policy(path: str) -> dict[str, list[str | Nonce]] | None:
    """The directives a path's area replaces in the site's policy, or None."""
    for prefix, replace in AREA_POLICIES:
        if path.startswith(prefix):
            return replace
    return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the gateway's origin in form-action and the desk's and
    the API docs' replacements by path."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        replace = area_policy(request.path_info)
        if replace is not None:
            # A view's own csp_replace (a decorator) still wins over its area's.
            parts.replace = {**replace, **(parts.replace or {})}
        if origin := gateway_origin(settings.METER_GATEWAY):
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            parts.update = update
        return parts
