"""Serializer pieces every API module shares: digit normalising, dates, pages, errors."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.meter_service.core.error_codes import ApiErrorCode
from apps.meter_service.core.forms import normalize_form_data
from apps.meter_service.core.jalali import parse_date
from apps.meter_service.registries import error_code_values


class DigitNormalizingSerializer(serializers.Serializer):
    """Accept Persian and Arabic-Indic digits in every text value, as the forms do."""

    def __init__(self, instance=None, data=serializers.empty, **kwargs):
        if data is not serializers.empty and hasattr(data, "items"):
            data = normalize_form_data(data)
        super().__init__(instance, data, **kwargs)


# The schema promises what every client may rely on: ISO dates from 1700 on (a year below
# 1700 is read as Jalali). Jalali input is an extra the descriptions mention.
@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": r"^(1[7-9]|[2-9][0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$",
    }
)
class FlexibleDateField(serializers.DateField):
    """A date given as ISO (2024-08-02) or Jalali (1403/05/12, Persian digits too)."""

    default_error_messages = {"invalid": _("Enter a valid date, such as 1403/05/12.")}

    def to_internal_value(self, value: Any) -> datetime.date:
        """Return the Gregorian date; the year tells the calendar (below 1700 is Jalali)."""
        if isinstance(value, datetime.datetime):
            self.fail("datetime")
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_date(str(value))
        except (ValueError, TypeError):
            self.fail("invalid")


class PageSerializer(serializers.Serializer):
    """A page of a list: what Pagination (limit/offset, bounded count) returns."""

    count = serializers.IntegerField(
        min_value=0,
        help_text=(
            "The number of items when count_exact is true; otherwise a lower bound (there "
            "are more than count). Counting stops 1000 items past the offset."
        ),
    )
    count_exact = serializers.BooleanField(
        help_text="False when the list goes on past count; page on with the next link."
    )
    next = serializers.URLField(
        allow_null=True, help_text="The next page (same filters), or null on the last page."
    )
    previous = serializers.URLField(
        allow_null=True, help_text="The previous page, or null on the first."
    )


def page_of(item_serializer: type[serializers.Serializer], name: str):
    """Return a serializer class describing one page of item_serializer, for the schema."""
    return type(name, (PageSerializer,), {"results": item_serializer(many=True)})


class ErrorExtraSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False,
        help_text=(
            "Machine-readable error code (not for validation errors): the API's own ("
            + ", ".join(sorted(ApiErrorCode))
            + "), Django REST framework's (not_authenticated, authentication_failed, "
            "permission_denied, method_not_allowed, not_acceptable, unsupported_media_type, "
            "throttled, parse_error) or, when the record's state refuses an action (409), the "
            "code of the refusal: one of those listed under 'codes'."
        ),
    )
    # The body's "fields" key: DRF's metaclass takes declared fields off the class, so this
    # does not replace Serializer.fields, whatever mypy reads.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field name; 'non_field_errors' holds those of no one field.",
    )
    codes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=(
            "Machine-readable codes of the messages in 'fields', in the same order: Django's "
            "and Django REST framework's field codes (required, invalid, max_length, ...) or "
            "one of the app's: " + ", ".join(error_code_values()) + "."
        ),
    )


class ErrorSerializer(serializers.Serializer):
    """Every error the API returns: a translated message and details."""

    message = serializers.CharField()
    extra = ErrorExtraSerializer()
