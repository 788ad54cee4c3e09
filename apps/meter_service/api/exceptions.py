"""The API's one error shape: {"message": ..., "extra": {...}}, for every error it returns.

Validation errors (DRF's, and Django's from the services) become 400 with
``extra.fields`` (messages by field) and ``extra.codes`` (their codes); other errors carry
``extra.code``. Every 404 has the same body, so "missing" and "someone else's" read alike.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from apps.meter_service.core.error_codes import ApiErrorCode
from apps.meter_service.doctype.payment.error_codes import PaymentErrorCode
from apps.meter_service.integrations.gateway.adapter import NETWORK_MESSAGE

NOT_FOUND_MESSAGE = _("No such record.")
INVALID_MESSAGE = _("Some of the data sent is not valid; see the fields.")


class Conflict(exceptions.APIException):
    """The request is valid but the record's state does not allow it now."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This cannot be done in the record's present state.")
    default_code = ApiErrorCode.CONFLICT

    @classmethod
    def from_validation_error(cls, error: DjangoValidationError) -> Conflict:
        """Return a Conflict carrying a service's refusal message and code."""
        return cls(detail=" ".join(error.messages), code=getattr(error, "code", None))


class GatewayUnavailable(exceptions.APIException):
    """The payment gateway could not be reached or refused; nothing was written."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = NETWORK_MESSAGE
    default_code = PaymentErrorCode.GATEWAY_UNAVAILABLE


def _flatten(detail: Any, prefix: str, fields: dict, codes: dict) -> None:
    """Collect messages and codes by field, naming nested fields "parent.child"."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else str(key)
            _flatten(value, f"{prefix}.{name}" if prefix else name, fields, codes)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            _flatten(item, f"{prefix}.{index}", fields, codes)
    else:
        items = detail if isinstance(detail, list) else [detail]
        name = prefix or api_settings.NON_FIELD_ERRORS_KEY
        fields.setdefault(name, []).extend(str(item) for item in items)
        codes.setdefault(name, []).extend(getattr(item, "code", "invalid") for item in items)


def validation_body(detail: Any) -> dict:
    """Return the body of a 400: one message, and every message by field."""
    fields: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    _flatten(detail, "", fields, codes)
    messages = [message for field_messages in fields.values() for message in field_messages]
    message = messages[0] if len(messages) == 1 else str(INVALID_MESSAGE)
    return {"message": message, "extra": {"fields": fields, "codes": codes}}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, Http404 | exceptions.NotFound):
        return exceptions.NotFound(NOT_FOUND_MESSAGE)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def api_exception_handler(exc: Exception, context: dict):
    """Render every error in the API's shape; leave unexpected ones to Django (500)."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)  # DRF answers those (and 404, 403) only
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(exc.detail)
    else:
        response.data = {
            "message": str(exc.detail),
            "extra": {"code": getattr(exc.detail, "code", None) or ApiErrorCode.ERROR},
        }
    return response
