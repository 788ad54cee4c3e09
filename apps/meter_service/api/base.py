"""What every API view shares: the language of its messages, and paging."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import NotAcceptable
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView


def api_language(request) -> str:
    """Return the language for an API request: ?lang=, else the cookie, else Accept-Language.

    The site's middleware ignores Accept-Language on purpose (people choose English in the
    interface); an agency's or IVR's program cannot click, so the API honours the header
    and a ``lang`` query parameter. Persian stays the default.
    """
    supported = {code for code, _name in settings.LANGUAGES}
    requested = request.query_params.get("lang", "")
    if requested in supported:
        return requested
    # What Django's get_language_from_request answers, without parsing when there is
    # nothing to parse: a chosen language's cookie first, then Accept-Language.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in supported:
        return chosen
    if not request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return settings.LANGUAGE_CODE
    return translation.get_language_from_request(request._request)


class MeterApi(APIView):
    """Base of the API's views: activates the client's language before anything can fail."""

    def initial(self, request, *args, **kwargs):
        language = api_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        super().initial(request, *args, **kwargs)

    def perform_content_negotiation(self, request, force=False):
        if not force and request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == "":
            # DRF reads an empty ?format= as none given and answers in the default format;
            # an export then ran on a parameter that names no format at all.
            raise NotAcceptable()
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:
            # DRF answers a ?format= that no renderer offers with 404, which the API's
            # errors reserve for records; the operation is there, the format is not.
            raise NotAcceptable() from None

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        text_only = getattr(renderer, "text_only", False)
        if getattr(response, "exception", False) or (
            text_only and not isinstance(getattr(response, "data", None), str)
        ):
            # Errors are JSON in the one error shape, whatever format the client asked for;
            # so is what a text format cannot carry (OPTIONS' description of the endpoint).
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = translation.get_language()
        patch_vary_headers(response, ["Accept-Language"])
        return response


class Pagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


# Query parameters every list takes besides its filters.
PAGING_PARAMETERS = frozenset({"limit", "offset", "lang", "format"})


class _RowsPage:
    """A queryset counted as it is, but read as other rows (see paginated_response)."""

    def __init__(self, queryset, rows):
        self.queryset, self.rows = queryset, rows

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice):
        return self.rows(self.queryset)[page]


def paginated_response(
    *, request, view, queryset, serializer_class, rows=None, context: dict | None = None
) -> Response:
    """Return one page of queryset, serialised, with count and next/previous links.

    `rows(queryset)`: what the page is read as (values() rows with joined columns, say),
    while the count stays a count of the queryset itself, without those joins.
    """
    paginator = Pagination()
    source = queryset if rows is None else _RowsPage(queryset, rows)
    page = paginator.paginate_queryset(source, request, view=view)
    output = serializer_class(page, many=True, context=context or {})
    return paginator.get_paginated_response(output.data)
