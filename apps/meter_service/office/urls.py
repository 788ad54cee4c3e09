"""URLs of the counter-office portal, mounted under /office/."""

from django.urls import path

from apps.meter_service.office import views

app_name = "office"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("choose-office/", views.choose_office, name="choose"),
    path("claims/", views.claim_list_view, name="claim_list"),
    path("claims/new/", views.walk_in, name="walk_in"),
    path("claims/new/claim/", views.claim_new, name="claim_new"),
    path("claims/<str:code>/", views.claim_detail, name="claim_detail"),
    path("claims/<str:code>/collect/", views.claim_collect, name="claim_collect"),
    path("claims/<str:code>/receipt.pdf", views.claim_receipt, name="claim_receipt"),
    path("statement/", views.statement, name="statement"),
    path("statement.pdf", views.statement_pdf, name="statement_pdf"),
]
