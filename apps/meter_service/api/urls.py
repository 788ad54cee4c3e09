"""API routes: version 1 of the operations, the OpenAPI schema and Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.meter_service.api import adjustments, billing, bills, claims, complaints, fees

v1 = [
    path("claims/", claims.ClaimCollectionApi.as_view(), name="claims"),
    path("claims/<str:tracking_code>/", claims.ClaimDetailApi.as_view(), name="claim"),
    path(
        "claims/<str:tracking_code>/cancel/",
        claims.ClaimCancelApi.as_view(),
        name="claim-cancel",
    ),
    path("claims/<str:tracking_code>/pay/", claims.ClaimPayApi.as_view(), name="claim-pay"),
    path(
        "claims/<str:tracking_code>/status/",
        claims.ClaimStatusApi.as_view(),
        name="claim-status",
    ),
    path("complaints/", complaints.ComplaintCollectionApi.as_view(), name="complaints"),
    path(
        "complaints/<str:tracking_code>/",
        complaints.ComplaintDetailApi.as_view(),
        name="complaint",
    ),
    path(
        "complaints/<str:tracking_code>/replies/",
        complaints.ComplaintReplyApi.as_view(),
        name="complaint-replies",
    ),
    path("fees/quote/", fees.FeeQuoteApi.as_view(), name="fee-quote"),
    path("billing/charges/", billing.BillChargeListApi.as_view(), name="bill-charges"),
    path(
        "billing/charges/export/",
        billing.BillChargeExportApi.as_view(),
        name="bill-charges-export",
    ),
    path("billing/adjustments/", adjustments.AdjustmentListApi.as_view(), name="adjustments"),
    path(
        "billing/adjustments/export/",
        adjustments.AdjustmentExportApi.as_view(),
        name="adjustments-export",
    ),
    path("bills/", bills.BillCollectionApi.as_view(), name="bills"),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="api-v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
