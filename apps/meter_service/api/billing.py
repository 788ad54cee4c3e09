"""The billing system's side: the fees to add to next gas bills, and their export."""

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
from apps.meter_service.api.schema import PAGING, error_responses
from apps.meter_service.api.serializers import page_of
from apps.meter_service.doctype.payment import selectors, services

VIEW_BILL_CHARGES = "meter_service.view_billcharge"
EXPORT_BILL_CHARGES = "meter_service.change_billcharge"


class CanViewBillCharges(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(VIEW_BILL_CHARGES)


class CanExportBillCharges(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(EXPORT_BILL_CHARGES)


class CsvRenderer(renderers.BaseRenderer):
    """Text already in CSV, as the billing system reads it.

    Anything else (an OPTIONS description, an error) is answered as JSON by MeterApi.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    text_only = True

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset)


class BillChargeOutputSerializer(serializers.Serializer):
    """A charge as the billing system reads it: the export's CSV columns."""

    bill_id = serializers.CharField()
    subscription_number = serializers.CharField()
    tracking_code = serializers.CharField()
    amount_rial = serializers.IntegerField()
    description = serializers.CharField()


class BillChargeExportOutputSerializer(serializers.Serializer):
    batch_id = serializers.CharField(help_text="Empty when nothing was waiting.")
    charges = BillChargeOutputSerializer(many=True)


class BillChargeListApi(MeterApi):
    """List the charges waiting for export to the billing system, oldest first."""

    permission_classes = [CanViewBillCharges]

    @extend_schema(
        operation_id="billing_charges_list",
        parameters=PAGING,
        summary="Charges waiting for the billing system",
        description="Claims' fees to add to the next gas bill, not exported yet; oldest first.",
        responses={
            200: page_of(BillChargeOutputSerializer, "PaginatedBillChargeList"),
            **error_responses(400, 401, 403),
        },
        tags=["billing"],
    )
    def get(self, request: Request) -> Response:
        pending = permissions.scope(request.user, selectors.bill_charges_pending())
        paginator = Pagination()
        page = paginator.paginate_queryset(pending, request, view=self)
        rows = [selectors.bill_charge_row(charge) for charge in page]
        return paginator.get_paginated_response(BillChargeOutputSerializer(rows, many=True).data)


class BillChargeExportApi(MeterApi):
    """Hand every pending charge to the billing system and mark them exported."""

    permission_classes = [CanExportBillCharges]
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="billing_charges_export",
        summary="Export the pending charges (marks them exported)",
        description=(
            "Every pending charge is exported once: a second call returns only charges added "
            "since. JSON by default; CSV (the desk's export file) with 'Accept: text/csv' or "
            "?format=csv. With nothing pending, batch_id is empty."
        ),
        request=None,
        responses={
            (200, "application/json"): BillChargeExportOutputSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with header."),
            **error_responses(401, 403, 406),
        },
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        batch_id, csv_text = services.bill_charges_export(actor=request.user)
        headers = {"X-Export-Batch": batch_id}
        if isinstance(request.accepted_renderer, CsvRenderer):
            name = f"bill-charges-{batch_id or 'empty'}.csv"
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return Response(csv_text, headers=headers)
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        for row in rows:
            row["amount_rial"] = int(row["amount_rial"])
        output = BillChargeExportOutputSerializer({"batch_id": batch_id, "charges": rows})
        return Response(output.data, headers=headers)
