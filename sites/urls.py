"""URLs of every site: the desk, the API, health and language switching."""

from django.urls import include, path
from django.views.generic import RedirectView

from apps.meter_service.doctype.complaint.views import complaint_mail_inbound
from apps.meter_service.doctype.notification.views import sms_inbound
from apps.meter_service.files import private_file
from apps.meter_service.health import health_view
from apps.meter_service.process_pages import process_public
from apps.meter_service.sites import staff_site

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("desk/dashboard/", include("apps.meter_service.dashboards.urls")),
    path("desk/", staff_site.urls),
    path("health/", health_view, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("apps.meter_service.api.urls")),
    # Texts to the short code, from the SMS provider (the secret is in site_config "sms").
    path("sms/inbound/<str:token>/", sms_inbound, name="sms_inbound"),
    # Replies to complaint emails pushed by a mail provider (token: site_config "mail_in").
    path("mail/inbound/", complaint_mail_inbound, name="complaint_mail_inbound"),
    path("pay/", include("apps.meter_service.doctype.payment.urls")),
    path("portal/", include("apps.meter_service.portal.urls")),
    path("office/", include("apps.meter_service.office.urls")),
    path("process/", process_public, name="process_public"),
    # Uploads, only to those who may see their record (files.py); never a plain folder.
    path("files/<path:name>", private_file, name="private_file"),
]

# Error pages in Persian, in the look of the site the path belongs to (JSON under /api/).
handler404 = "apps.meter_service.errors.page_not_found"
handler403 = "apps.meter_service.errors.permission_denied"
handler500 = "apps.meter_service.errors.server_error"
