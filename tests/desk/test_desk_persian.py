"""No English left in the Persian desk: login page, form errors, roles, SMS templates."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.meter_service.doctype.notification.models import MessageTemplate, SmsMessage
from apps.meter_service.doctype.notification.services import message_templates_ensure_defaults
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    return client


def test_login_page_is_persian(client):
    page = client.get(reverse("admin:login")).content.decode()

    assert "خوش آمدید به" in page
    assert "بازگشت به سایت" in page
    assert "Welcome back to" not in page
    assert "Return to site" not in page


def test_form_errors_note_is_persian(admin_client):
    response = admin_client.post(reverse("admin:meter_service_subscriber_add"), {})

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search("لطفاً (خطای|خطاهای) زیر را برطرف کنید.", page)
    assert "Please correct the" not in page


def _operator_user(make_user):
    return make_user(
        Role.COUNTER_OFFICE_OPERATOR, username="m.nouri", first_name="مهدی", last_name="نوری"
    )


def test_users_list_and_form_show_role_labels(admin_client, make_user):
    operator = _operator_user(make_user)

    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    form = admin_client.get(reverse("admin:auth_user_change", args=[operator.pk]))
    form = form.content.decode()

    for page in (listing, form):
        shown = re.sub(r"<[^>]*>", " ", page)  # what people read (a role's code may be a value)
        assert "متصدی دفتر پیشخوان" in shown
        assert "counter_office_operator" not in shown
        assert "service_desk_clerk" not in shown


def test_the_role_filter_filters_by_role(admin_client, make_user):
    operator = _operator_user(make_user)
    group = Group.objects.get(name=Role.COUNTER_OFFICE_OPERATOR)

    response = admin_client.get(
        reverse("admin:auth_user_changelist"), {"groups__id__exact": group.pk}
    )

    assert list(response.context["cl"].result_list) == [operator]


def test_roles_list_shows_role_labels(admin_client):
    page = admin_client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert "متصدی دفتر پیشخوان" in page
    assert "System administrator" not in page


def test_message_templates_show_labels_not_keys(admin_client):
    message_templates_ensure_defaults()
    template = MessageTemplate.objects.get(key="otp_code")

    listing = admin_client.get(reverse("admin:meter_service_messagetemplate_changelist"))
    form = admin_client.get(
        reverse("admin:meter_service_messagetemplate_change", args=[template.pk])
    )

    listing = listing.content.decode()
    assert "کد ورود" in listing and "درخواست پرداخت شد" in listing
    assert "otp_code" not in listing and "claim_paid" not in listing
    assert "کد ورود" in form.content.decode()


def test_sms_log_shows_template_labels(admin_client):
    message = SmsMessage.objects.create(to="09121234567", body="کد: ***", template_key="otp_code")

    listing = admin_client.get(reverse("admin:meter_service_smsmessage_changelist"))
    detail = admin_client.get(reverse("admin:meter_service_smsmessage_change", args=[message.pk]))

    listing, detail = listing.content.decode(), detail.content.decode()
    assert "کد ورود" in listing and "کد ورود" in detail
    assert "otp_code" not in listing.replace("template_key=otp_code", "")
    assert "otp_code" not in detail


# --- raw English: test points, version notes, usernames -----------------------------------


def test_a_test_point_reads_in_persian_units_and_digits():
    from decimal import Decimal

    from django.utils import translation

    from apps.meter_service.doctype.inspection.models import TestPoint

    point = TestPoint(flow_rate_m3h=Decimal("6.000"), error_percent=Decimal("4.00"))
    with translation.override("fa"):
        text = str(point)
    assert text == "۶ مترمکعب بر ساعت: خطای +۴٫۰۰٪"
    with translation.override("en"):
        assert str(point) == "6 m³/h: error +4.00%"


def test_the_shipped_process_versions_note_is_persian(admin_client):
    page = admin_client.get(reverse("admin:meter_service_processversion_changelist"))

    page = page.content.decode()
    assert "نسخهٔ همراه سامانه" in page
    assert "as shipped" not in page


def test_the_desk_shows_who_filed_by_name(make_user, make_claim, client):
    clerk = make_user(
        Role.SERVICE_DESK_CLERK, username="clerk.42", first_name="زهرا", last_name="احمدی"
    )
    claim = make_claim(actor=clerk, channel="in_person", payment_method="in_person")
    client.force_login(make_user(Role.SERVICE_MANAGER))

    page = client.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))

    page = page.content.decode()
    assert "زهرا احمدی" in page
    assert "clerk.42" not in page


def test_a_user_without_a_name_shows_the_username(make_user):
    assert str(make_user(Role.TECHNICIAN, username="tech.7")) == "tech.7"
