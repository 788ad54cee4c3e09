"""The billing system's side of bill corrections: adjustment lines to post, and their export."""

from __future__ import annotations

import csv
import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apps.meter_service import permissions
from apps.meter_service.api.base import MeterApi, Pagination
from apps.meter_service.api.billing import CsvRenderer
from apps.meter_service.api.schema import PAGING, error_responses
from apps.meter_service.api.serializers import page_of
from apps.meter_service.doctype.correction import selectors, services
from apps.meter_service.doctype.correction.models import AdjustmentKind


class CanViewAdjustments(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("meter_service.view_billingadjustment")


class CanExportAdjustments(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("meter_service.change_billingadjustment")


class AdjustmentOutputSerializer(serializers.Serializer):
    """A line as the billing system posts it: the export's CSV columns."""

    line_id = serializers.IntegerField()
    bill_id = serializers.CharField()
    subscription_number = serializers.CharField()
    tracking_code = serializers.CharField()
    kind = serializers.ChoiceField(choices=AdjustmentKind.values)
    corrected_payment_id = serializers.CharField(help_text="Empty for fee and damage lines.")
    period_start = serializers.CharField(help_text="ISO date, or empty.")
    period_end = serializers.CharField(help_text="ISO date (exclusive), or empty.")
    amount_rial = serializers.IntegerField(help_text="Positive: a debit; negative: a credit.")
    description = serializers.CharField()


class AdjustmentExportOutputSerializer(serializers.Serializer):
    batch_id = serializers.CharField(help_text="Empty when nothing was waiting.")
    adjustments = AdjustmentOutputSerializer(many=True)


class AdjustmentListApi(MeterApi):
    """List the adjustment lines waiting for export to the billing system, oldest first."""

    permission_classes = [CanViewAdjustments]

    @extend_schema(
        operation_id="billing_adjustments_list",
        parameters=PAGING,
        summary="Adjustment lines waiting for the billing system",
        description=(
            "Approved bill corrections (one line per corrected bill), test fees refunded or "
            "waived, and damage charged for tampering; not exported yet; oldest first."
        ),
        responses={
            200: page_of(AdjustmentOutputSerializer, "PaginatedAdjustmentList"),
            **error_responses(400, 401, 403),
        },
        tags=["billing"],
    )
    def get(self, request: Request) -> Response:
        pending = permissions.scope(request.user, selectors.adjustments_pending())
        paginator = Pagination()
        page = paginator.paginate_queryset(pending, request, view=self)
        rows = [selectors.adjustment_row(line) for line in page]
        return paginator.get_paginated_response(AdjustmentOutputSerializer(rows, many=True).data)


class AdjustmentExportApi(MeterApi):
    """Hand every pending line to the billing system and mark them exported."""

    permission_classes = [CanExportAdjustments]
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="billing_adjustments_export",
        summary="Export the pending adjustment lines (marks them exported)",
        description=(
            "Every line is exported once: a second call returns only lines added since. "
            "JSON by default; CSV with 'Accept: text/csv' or ?format=csv."
        ),
        request=None,
        responses={
            (200, "application/json"): AdjustmentExportOutputSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with header."),
            **error_responses(401, 403, 406),
        },
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        batch_id, csv_text = services.adjustments_export(actor=request.user)
        headers = {"X-Export-Batch": batch_id}
        if isinstance(request.accepted_renderer, CsvRenderer):
            name = f"billing-adjustments-{batch_id or 'empty'}.csv"
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return Response(csv_text, headers=headers)
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        for row in rows:
            row["amount_rial"] = int(row["amount_rial"])
            row["line_id"] = int(row["line_id"])
        output = AdjustmentExportOutputSerializer({"batch_id": batch_id, "adjustments": rows})
        return Response(output.data, headers=headers)
