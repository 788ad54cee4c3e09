"""URLs of the subscriber portal, mounted under /portal/."""

from django.urls import path

from apps.meter_service.doctype.inspection.views import portal_test_report
from apps.meter_service.portal import complaints, faq, ratings, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("status/", views.status_lookup, name="status"),
    path("help/", faq.help_page, name="help"),
    path("claims/", views.claim_list_view, name="claim_list"),
    path("claims/new/", views.claim_start, name="claim_start"),
    path("claims/new/<str:subscription_number>/", views.claim_new, name="claim_new"),
    path("claims/<str:code>/", views.claim_detail, name="claim_detail"),
    path("claims/<str:code>/cancel/", views.claim_cancel_view, name="claim_cancel"),
    path("claims/<str:code>/steps/<uuid:task_id>/", views.claim_step, name="claim_step"),
    path("claims/<str:code>/receipt.pdf", views.claim_receipt, name="claim_receipt"),
    path(
        "claims/<str:code>/correction.pdf",
        views.claim_correction_statement,
        name="claim_correction_statement",
    ),
    path("claims/<str:code>/test-report.pdf", portal_test_report, name="claim_test_report"),
    path("complaints/", complaints.complaint_list_view, name="complaint_list"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/<str:code>/", complaints.complaint_detail, name="complaint_detail"),
    path("complaints/<str:code>/reply/", complaints.complaint_reply, name="complaint_reply"),
    path(
        "complaints/<str:code>/attachments/<int:attachment_id>/",
        complaints.complaint_attachment,
        name="complaint_attachment",
    ),
    path("complaints/<str:code>/rate/", ratings.complaint_rate, name="complaint_rate"),
    # The closing SMS's link: short, and no sign-in (the signed token is the key).
    path("rate/<str:token>/", ratings.complaint_rate_link, name="complaint_rate_link"),
]
