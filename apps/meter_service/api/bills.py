"""Bills over the API: the billing system sends its bills; staff and subscribers read them."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.fields import get_error_detail
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apps.meter_service.api.base import MeterApi, paginated_response
from apps.meter_service.api.schema import PAGING, error_responses
from apps.meter_service.api.serializers import page_of
from apps.meter_service.core.error_codes import ApiErrorCode, CommonErrorCode
from apps.meter_service.core.forms import normalize_form_data
from apps.meter_service.doctype.bill import selectors, services
from apps.meter_service.doctype.bill.serializers import (
    BillInputSerializer,
    BillListFilterSerializer,
    BillOutputSerializer,
    BillUpsertOutputSerializer,
)
from apps.meter_service.doctype.rule_setting.selectors import rule_value

VIEW_BILL = "meter_service.view_bill"
ADD_BILL = "meter_service.add_bill"

NOT_A_BILL_MESSAGE = _("Send one bill (an object) or a list of bills.")
EMPTY_MESSAGE = _("Send at least one bill.")
TOO_MANY_MESSAGE = _("Send at most %(limit)s bills in one request.")


class CanViewBills(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(VIEW_BILL)


class CanSendBills(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(ADD_BILL)


def _max_items() -> int:
    return int(rule_value("BILLS_API_MAX_ITEMS"))


def _items(data) -> tuple[list[dict], bool]:
    """Return the bills sent, each with its digits normalised, and whether a list was sent."""
    if isinstance(data, dict):
        return [normalize_form_data(data)], False
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise serializers.ValidationError(
            {"non_field_errors": [NOT_A_BILL_MESSAGE]}, code=CommonErrorCode.INVALID
        )
    if not data:
        raise serializers.ValidationError(
            {"non_field_errors": [EMPTY_MESSAGE]}, code=CommonErrorCode.EMPTY
        )
    limit = _max_items()
    if len(data) > limit:
        raise serializers.ValidationError(
            {"non_field_errors": [TOO_MANY_MESSAGE % {"limit": limit}]}, code=ApiErrorCode.TOO_MANY
        )
    return [normalize_form_data(item) for item in data], True


class BillListApi(MeterApi):
    permission_classes = [CanViewBills]

    @extend_schema(
        operation_id="bills_list",
        summary="List the bills the caller may see",
        description=(
            "Staff see every subscription's bills; a subscriber only their own (another "
            "subscription's filter gives an empty list). Newest period first; paged "
            "(follow next). period_end is exclusive (the next period's start)."
        ),
        parameters=[BillListFilterSerializer, *PAGING],
        responses={
            200: page_of(BillOutputSerializer, "PaginatedBillList"),
            **error_responses(400, 401, 403),
        },
        tags=["billing"],
    )
    def get(self, request: Request) -> Response:
        filters = BillListFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        bills = selectors.bill_list(user=request.user)
        if number := filters.validated_data.get("subscription_number"):
            bills = bills.filter(subscriber__subscription_number=number)
        if bill_id := filters.validated_data.get("bill_id"):
            bills = bills.filter(bill_id=bill_id)
        return paginated_response(
            request=request, view=self, queryset=bills, serializer_class=BillOutputSerializer
        )


class BillUpsertApi(MeterApi):
    permission_classes = [CanSendBills]

    @extend_schema(
        operation_id="bills_upsert",
        summary="Send bills from the billing system (idempotent)",
        description=(
            "One bill (an object) or a list of bills, saved all or none. A bill is known by "
            "bill_id and payment_id together: sending it again changes nothing (unchanged), "
            "sending it with other figures corrects it (updated). The subscriber is the one "
            "whose bill ID the bill carries. Errors of a list name the bill by its index, "
            "such as '2.payment_id'."
        ),
        request=PolymorphicProxySerializer(
            component_name="BillUpsertRequest",
            serializers=[BillInputSerializer, BillInputSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={200: BillUpsertOutputSerializer, **error_responses(400, 401, 403, 415)},
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        items, many = _items(request.data)
        serializer = BillInputSerializer(data=items, many=True)
        if not serializer.is_valid():
            errors = serializer.errors
            raise serializers.ValidationError(errors if many else errors[0])
        counts = {services.CREATED: 0, services.UPDATED: 0, services.UNCHANGED: 0}
        results = []
        with transaction.atomic():
            for index, data in enumerate(serializer.validated_data):
                try:
                    bill, result = services.bill_upsert(
                        data=dict(data), source="api", actor=request.user
                    )
                except DjangoValidationError as error:
                    detail = get_error_detail(error)
                    raise serializers.ValidationError(
                        {str(index): detail} if many else detail
                    ) from error
                counts[result] += 1
                results.append({"result": result, "bill": bill})
        output = BillUpsertOutputSerializer({**counts, "results": results})
        return Response(output.data)


class BillCollectionApi(BillListApi, BillUpsertApi):
    """/bills/: GET is BillListApi, POST is BillUpsertApi, each with its own permission."""

    def get_permissions(self):
        operation = BillUpsertApi if self.request.method == "POST" else BillListApi
        return [permission() for permission in operation.permission_classes]
