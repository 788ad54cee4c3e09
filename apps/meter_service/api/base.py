"""What every API view shares: the language of its messages, and paging."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from rest_framework import serializers
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


# An offset the databases can add a page and the count's bound to without overflowing.
MAX_OFFSET = 1_000_000_000


class PagingSerializer(serializers.Serializer):
    """The paging parameters of every list (the schema's PAGING_PARAMETERS)."""

    # Above max_limit is read as max_limit, as before: clients asking for more get a page.
    limit = serializers.IntegerField(min_value=1, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)


class Pagination(LimitOffsetPagination):
    """limit/offset paging whose count stops COUNT_CAP rows past the page's offset.

    A full count cost an agency with fifty thousand claims ten times the page itself, on
    every page. The count now reads at most offset + COUNT_CAP + 1 rows: up to there it is
    exact (count_exact true); past it, count is offset + COUNT_CAP and count_exact false,
    meaning "more than count". The next link follows from that, so paging by `next` walks
    the whole list. limit/offset stay (not a cursor): clients that page by offset or read
    count keep working, and the cost measured was the count, not the page.
    """

    default_limit = 20
    max_limit = 100
    # Rows counted past the offset; a page (at most max_limit) always fits inside it.
    COUNT_CAP = 1000

    def paginate_queryset(self, queryset, request, view=None):
        # DRF ignores a limit or offset it cannot read; the schema documents both, so a
        # bad one is a 400 naming it rather than a page the client did not ask for.
        paging = PagingSerializer(
            data={
                name: request.query_params[name]
                for name in ("limit", "offset")
                if name in request.query_params
            }
        )
        paging.is_valid(raise_exception=True)
        # DRF counts before it reads the offset; the bound needs the offset first.
        self.offset = self.get_offset(request)
        return super().paginate_queryset(queryset, request, view=view)

    def get_count(self, queryset) -> int:
        assert self.offset is not None  # read by paginate_queryset before DRF counts
        bound = self.offset + self.COUNT_CAP
        if isinstance(queryset, list):
            counted = len(queryset)
        else:
            source = queryset.queryset if isinstance(queryset, _RowsPage) else queryset
            # No ordering: any bound + 1 rows of the filter tell whether there are more,
            # and the database may stop at the first bound + 1 it finds.
            counted = source.order_by()[: bound + 1].count()
        self.count_exact = counted <= bound
        return min(counted, bound)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


# Query parameters every list takes besides its filters.
PAGING_PARAMETERS = frozenset({"limit", "offset", "lang", "format"})


class _RowsPage:
    """A queryset counted as it is, but read as other rows (see paginated_response)."""

    def __init__(self, queryset, rows):
        self.queryset, self.rows = queryset, rows

    def __getitem__(self, page: slice):
        return self.rows(self.queryset)[page]


def paginated_response(
    *, request, view, queryset, serializer_class, rows=None, context: dict | None = None
) -> Response:
    """Return one page of queryset, serialised, with a bounded count and next/previous links.

    `rows(queryset)`: what the page is read as (values() rows with joined columns, say),
    while the count stays a (bounded) count of the queryset itself, without those joins.
    """
    paginator = Pagination()
    source = queryset if rows is None else _RowsPage(queryset, rows)
    page = paginator.paginate_queryset(source, request, view=view)
    output = serializer_class(page, many=True, context=context or {})
    return paginator.get_paginated_response(output.data)
