"""The dashboards' URLs, under /desk/dashboard/ beside the desk."""

from django.urls import path

from apps.meter_service.dashboards import views
from apps.meter_service.sites import staff_site

app_name = "dashboards"

urlpatterns = [
    path("", staff_site.admin_view(views.dashboard_page), name="page"),
    path("export.<str:fmt>", staff_site.admin_view(views.dashboard_export), name="export"),
]
