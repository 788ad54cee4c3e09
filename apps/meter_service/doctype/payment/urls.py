"""URLs of the gateway round trip, mounted under /pay/."""

from django.urls import path

from apps.meter_service.doctype.payment import views

app_name = "payment"

urlpatterns = [
    path("callback/", views.payment_callback, name="callback"),
    path("result/<str:authority>/", views.payment_result, name="result"),
    path("<str:tracking_code>/", views.payment_start, name="start"),
]
