"""Message templates: defaults that never overwrite staff edits, placeholders, rendering."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.notification import rules, services
from apps.meter_service.doctype.notification.models import MessageTemplate
from apps.meter_service.doctype.notification.selectors import active_template

pytestmark = pytest.mark.django_db

DEFAULT_KEYS = [
    "access_needed",
    "claim_closed",
    "claim_expired",
    "claim_filed",
    "claim_filed_next_bill",
    "claim_no_access",
    "claim_paid",
    "complaint_answered",
    "complaint_closed",
    "complaint_filed",
    "complaint_rating_asked",
    "complaint_reopened",
    "complaint_resolved",
    "correction_approved",
    "inbound_help",
    "inbound_malformed",
    "inbound_rating",
    "inbound_status",
    "inbound_unknown_code",
    "meter_replaced",
    "otp_code",
    "subscriber_mobile_changed",
    "test_result",
    "visit_scheduled",
]


def test_defaults_are_created_once():
    created = services.message_templates_ensure_defaults()
    again = services.message_templates_ensure_defaults()

    assert sorted(created) == DEFAULT_KEYS
    assert again == []
    assert sorted(MessageTemplate.objects.values_list("key", flat=True)) == DEFAULT_KEYS
    otp = MessageTemplate.objects.get(key="otp_code")
    assert "{code}" in otp.body_fa and "{minutes}" in otp.body_fa
    assert not DocumentEvent.objects.exists()  # shipped reference data, like loaddata


def test_a_template_created_in_the_desk_is_audited(admin_user):
    template = services.message_template_create(
        key="claim_paid", body_fa="{amount}", actor=admin_user
    )

    [event] = DocumentEvent.objects.all()
    assert event.event_type == "message_template_created"
    assert event.object_id == str(template.pk)
    assert event.actor == admin_user


def test_load_fixtures_never_overwrites_a_staff_edit(admin_user):
    call_command("load_fixtures", verbosity=0)
    template = MessageTemplate.objects.get(key="claim_paid")
    services.message_template_update(
        template=template, actor=admin_user, body_fa="پرداخت شد: {tracking_code}"
    )
    MessageTemplate.objects.filter(key="claim_expired").delete()

    call_command("load_fixtures", verbosity=0)

    assert MessageTemplate.objects.get(key="claim_paid").body_fa == "پرداخت شد: {tracking_code}"
    assert MessageTemplate.objects.filter(key="claim_expired").exists()  # a missing one returns


def test_an_unknown_placeholder_is_refused():
    with pytest.raises(ValidationError) as caught:
        services.message_template_create(
            key="claim_paid", body_fa="پرداخت {tracking_code} برای {name}"
        )

    [error] = caught.value.error_dict["body_fa"]
    assert error.code == "unknown_placeholder"
    assert error.params["name"] == "name"
    assert "{tracking_code}" in error.params["allowed"]
    with translation.override("en"):
        assert "Unknown placeholder {name}" in " ".join(caught.value.messages)


def test_the_english_text_is_checked_too():
    with pytest.raises(ValidationError) as caught:
        services.message_template_create(key="otp_code", body_fa="کد: {code}", body_en="{amount}")

    assert list(caught.value.error_dict) == ["body_en"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("کد {code:>8}", "bad_placeholder"),
        ("کد {code.real}", "bad_placeholder"),
        ("کد {code!r}", "bad_placeholder"),
        ("کد {0}", "bad_placeholder"),
        ("کد {code", "unmatched_brace"),
        ("کد code}", "unmatched_brace"),
    ],
)
def test_malformed_placeholders_are_refused(text, code):
    with pytest.raises(ValidationError) as caught:
        services.message_template_create(key="otp_code", body_fa=text)

    assert [e.code for e in caught.value.error_dict["body_fa"]] == [code]


def test_literal_braces_and_later_keys_are_allowed():
    template = services.message_template_create(
        key="test_scheduled", body_fa="{{توجه}} کد {tracking_code} در {date}"
    )

    assert rules.render(template.body_fa, {"tracking_code": "۱", "date": "۲"}) == (
        "{توجه} کد ۱ در ۲"
    )


def test_the_sign_in_code_message_cannot_be_switched_off():
    services.message_templates_ensure_defaults()
    template = MessageTemplate.objects.get(key="otp_code")

    with pytest.raises(ValidationError) as caught:
        services.message_template_update(template=template, is_active=False)

    assert caught.value.error_dict["is_active"][0].code == "always_active"


def test_an_update_is_audited_with_its_changes(admin_user):
    services.message_templates_ensure_defaults()
    template = MessageTemplate.objects.get(key="claim_expired")

    services.message_template_update(template=template, actor=admin_user, is_active=False)
    services.message_template_update(template=template, actor=admin_user, is_active=False)

    [event] = DocumentEvent.objects.filter(event_type="message_template_updated")
    assert event.actor == admin_user
    assert event.parameters["changes"] == {"is_active": [True, False]}
    assert active_template(key="claim_expired") is None


def test_the_key_cannot_be_changed():
    template = services.message_template_create(key="claim_paid", body_fa="{amount}")

    with pytest.raises(TypeError):
        services.message_template_update(template=template, key="claim_filed")


# --- rendering ----------------------------------------------------------------------------


def _claim(**overrides):
    fields = {
        "tracking_code": "1234567890",
        "total_fee": 1_635_000,
        "filed_at": timezone.make_aware(datetime.datetime(2024, 8, 2, 10, 0)),
        "paid_at": timezone.make_aware(datetime.datetime(2024, 8, 3, 10, 0)),
        "expires_at": timezone.make_aware(datetime.datetime(2024, 8, 9, 10, 0)),
        "closed_at": None,
    }
    return SimpleNamespace(**{**fields, **overrides})


def test_claim_values_in_persian():
    values = rules.claim_values(_claim(), rules.CLAIM_FILED)

    assert values == {
        # in a left-to-right isolate: in a Persian sentence the groups keep their order
        "tracking_code": "\u2066۱۲۳-۴۵۶-۷۸۹۰\u2069",
        "amount": "۱٬۶۳۵٬۰۰۰",
        "date": "۱۴۰۳/۰۵/۱۲",
        "pay_by": "۱۴۰۳/۰۵/۱۹",
    }


def test_claim_values_in_english():
    values = rules.claim_values(_claim(), rules.CLAIM_PAID, language="en")

    assert values["tracking_code"] == "123-456-7890"
    assert values["amount"] == "1,635,000"
    assert values["date"] == "2024-08-03"


def test_an_expired_claim_names_its_last_day_to_pay():
    values = rules.claim_values(_claim(), rules.CLAIM_EXPIRED)

    assert values["date"] == "۱۴۰۳/۰۵/۱۹"


def test_otp_values():
    assert rules.otp_values(code="048213", ttl_seconds=120) == {
        "code": "۰۴۸۲۱۳",
        "minutes": "۲",
    }
    assert rules.otp_values(code="048213", ttl_seconds=90, language="en")["minutes"] == "2"


def test_message_render_uses_the_persian_text_and_falls_back_from_english():
    services.message_template_create(key="otp_code", body_fa="کد: {code}", body_en="")

    assert services.message_render(key="otp_code", values={"code": "۱۲"}) == "کد: ۱۲"
    assert services.message_render(key="otp_code", values={"code": "12"}, language="en") == (
        "کد: 12"
    )


def test_message_render_without_an_active_template_is_none():
    services.message_template_create(key="claim_paid", body_fa="{amount}", is_active=False)

    assert services.message_render(key="claim_paid", values={"amount": "۱"}) is None
    assert services.message_render(key="nothing_here", values={}) is None


def test_a_later_key_missing_a_value_renders_nothing():
    services.message_template_create(key="test_scheduled", body_fa="{code}")

    assert services.message_render(key="test_scheduled", values={"date": "x"}) is None


def test_a_site_with_the_old_closing_text_gets_the_figures_unless_staff_rewrote_it():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "apps.meter_service.migrations.0014_claim_closed_text_with_settlement"
    )
    MessageTemplate.objects.create(key="claim_closed", **migration.OLD)

    migration.forwards(apps, None)

    template = MessageTemplate.objects.get(key="claim_closed")
    assert "{settlement}" in template.body_fa and "{settlement}" in template.body_en
    MessageTemplate.objects.filter(key="claim_closed").update(body_fa="متن کارکنان {outcome}")
    migration.forwards(apps, None)
    assert MessageTemplate.objects.get(key="claim_closed").body_fa == "متن کارکنان {outcome}"
