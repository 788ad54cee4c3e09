"""OpenAPI helpers: the documented error responses of an operation, the paging parameters."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from apps.meter_service.api.base import MAX_OFFSET, Pagination
from apps.meter_service.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "The data sent is not valid: extra.fields holds the messages by field.",
    401: "No valid token (header 'Authorization: Token <key>') or session.",
    403: "The caller's role may not do this.",
    404: "No such record, or not one the caller may see (the same answer for both).",
    406: "The format asked for (?format= or Accept) is not one the operation offers.",
    409: "The record's state does not allow this now.",
    415: "The body's Content-Type is not one the operation takes (see its request body).",
    503: "The payment gateway could not be reached; nothing was written. Try again later.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Return the schema of the given error statuses, all in the API's error shape."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


# Every list's paging: limit/offset, with a bounded count (see api/base.py Pagination).
PAGING = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1},
        description=(
            f"Items per page: {Pagination.default_limit} unless given; more than "
            f"{Pagination.max_limit} is read as {Pagination.max_limit}."
        ),
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description=(
            "Items to skip. Rather than computing offsets, follow the page's 'next' link "
            "until it is null: it carries limit and offset and keeps the filters."
        ),
    ),
]
