"""The desk pages of message templates and the SMS log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.meter_service.doctype.notification import services
from apps.meter_service.doctype.notification.models import MessageTemplate, SmsMessage, SmsStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    services.message_templates_ensure_defaults()
    return client


def _form(template: MessageTemplate, **overrides) -> dict:
    return {
        "body_fa": template.body_fa,
        "body_en": template.body_en,
        "is_active": "on" if template.is_active else "",
        "_save": "1",
        **overrides,
    }


def test_the_lists_and_the_edit_page_open(desk):
    template = MessageTemplate.objects.get(key="otp_code")
    SmsMessage.objects.create(to="09121234567", body="x", status=SmsStatus.FAILED)

    for url in (
        reverse("admin:meter_service_messagetemplate_changelist"),
        reverse("admin:meter_service_messagetemplate_change", args=[template.pk]),
        reverse("admin:meter_service_smsmessage_changelist"),
    ):
        response = desk.get(url)
        assert response.status_code == 200, url
    page = desk.get(reverse("admin:meter_service_messagetemplate_change", args=[template.pk]))
    assert "{code}, {minutes}" in page.content.decode()


def test_an_edit_keeps_persian_digits_and_is_audited(desk, admin_user):
    template = MessageTemplate.objects.get(key="claim_paid")
    text = "هزینه {amount} ریال برای {tracking_code} ثبت شد؛ تلفن ۱۹۴"
    url = reverse("admin:meter_service_messagetemplate_change", args=[template.pk])

    response = desk.post(url, _form(template, body_fa=text))

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body_fa == text  # digits and separators as typed
    assert template.key == "claim_paid"


def test_an_unknown_placeholder_is_shown_on_the_form(desk):
    template = MessageTemplate.objects.get(key="claim_paid")
    url = reverse("admin:meter_service_messagetemplate_change", args=[template.pk])

    response = desk.post(url, _form(template, body_fa="{tracking_code} {name}"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "body_fa" in errors
    template.refresh_from_db()
    assert "{name}" not in template.body_fa


def test_failed_messages_can_be_sent_again_from_the_list(
    desk, fake_sms, django_capture_on_commit_callbacks
):
    failed = SmsMessage.objects.create(to="09121234567", body="سلام", status=SmsStatus.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse("admin:meter_service_smsmessage_changelist"),
            {"action": "send_again", "_selected_action": [failed.pk]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == SmsStatus.SENT
    assert [m["message"] for m in fake_sms.messages()] == ["سلام"]
