"""The rule settings' desk pages: the list, a rule's change form and history, and one rule
changed in the desk that changes what a service does from its date."""

from __future__ import annotations

import datetime

import jdatetime
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.doctype.rule_setting.events import RuleSettingEvents
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

LIST = "admin:meter_service_rulesettingchange_changelist"
CHANGES = "admin:meter_service_rulesettingchange_changes"


def rule_url(name: str) -> str:
    return reverse("admin:meter_service_rulesettingchange_rule", args=[name])


def persian_date(day: datetime.date) -> str:
    return to_persian_digits(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))


@pytest.fixture
def manager_client(client, make_user):
    manager = make_user(Role.SERVICE_MANAGER)
    client.force_login(manager)
    client.user = manager
    return client


def quote_total(day: datetime.date) -> int:
    return fee_quote(meter_size="G4", customer_type="g2c", channel="portal", on_date=day).total


def test_vat_changed_in_the_desk_prices_claims_from_its_date(manager_client):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=datetime.date(2024, 1, 1))
    assert quote_total(today) == quote_total(tomorrow) == 1_100_000

    response = manager_client.post(
        rule_url("VAT_PERCENT"),
        {"value": "۹", "effective_from": persian_date(tomorrow), "reason": "مصوبه هیئت مدیره"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert quote_total(today) == 1_100_000
    assert quote_total(tomorrow) == 1_090_000
    made = RuleSettingChange.objects.get()
    assert (made.name, made.value, made.previous_value) == ("VAT_PERCENT", 9, 10)
    assert made.effective_from == tomorrow and made.changed_by == manager_client.user
    assert DocumentEvent.objects.filter(
        event_type=RuleSettingEvents.RULE_SETTING_CHANGED, actor=manager_client.user
    ).exists()

    # The list shows today's value and the change to come; the rule's page its history.
    page = manager_client.get(reverse(LIST)).content.decode()
    assert "VAT_PERCENT" in page and persian_date(tomorrow) in page
    history = manager_client.get(rule_url("VAT_PERCENT")).content.decode()
    assert "مصوبه هیئت مدیره" in history
    assert "مصوبه هیئت مدیره" in manager_client.get(reverse(CHANGES)).content.decode()


def test_bad_input_shows_translated_errors_and_writes_nothing(manager_client):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = manager_client.post(
        rule_url("OTP_LENGTH"),
        {"value": "۳", "effective_from": persian_date(yesterday), "reason": ""},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"value", "effective_from", "reason"}
    page = response.content.decode()
    assert "۴" in page and "Enter a number" not in page
    assert not RuleSettingChange.objects.exists()


def test_a_site_only_rule_is_shown_but_not_changed(manager_client):
    response = manager_client.get(rule_url("DATABASE_READ_TIMEOUT_SECONDS"))
    assert response.status_code == 200 and response.context["form"] is None
    response = manager_client.post(
        rule_url("DATABASE_READ_TIMEOUT_SECONDS"), {"value": "30", "reason": "x"}
    )
    assert response.status_code == 403
    assert manager_client.get(rule_url("NO_SUCH_RULE")).status_code == 404
    assert not RuleSettingChange.objects.exists()


def test_the_standard_add_and_change_pages_are_closed(manager_client):
    assert (
        manager_client.get(reverse("admin:meter_service_rulesettingchange_add")).status_code == 403
    )


def test_every_rules_page_shows_its_value_and_form(manager_client):
    """Each type's field (yes/no and choices as a list, roles and JSON as text areas)."""
    from apps.meter_service.core.rule_settings import RULES, SITE_ONLY

    overview = manager_client.get(reverse(LIST)).content.decode()
    for name in RULES:
        assert f'id="rule-{name}"' in overview
        response = manager_client.get(rule_url(name))
        assert response.status_code == 200, name
        assert (response.context["form"] is None) is (name in SITE_ONLY), name


def test_yes_no_and_the_tolerance_bands_from_the_desk(manager_client):
    from apps.meter_service.doctype.rule_setting.selectors import rule_value

    for name, value in (
        ("REFUND_FEE_WHEN_FAULTY", "false"),
        (
            "IN_SERVICE_TOLERANCE_BANDS",
            '{"1.0": {"low": 2, "high": 1}, "1.5": {"low": ۲٫۵, "high": 1.5}}',
        ),
    ):
        response = manager_client.post(rule_url(name), {"value": value, "reason": "بازنگری"})
        assert response.status_code == 302, name
    assert rule_value("REFUND_FEE_WHEN_FAULTY") is False
    assert rule_value("IN_SERVICE_TOLERANCE_BANDS") == {
        "1.0": {"low": 2.0, "high": 1.0},
        "1.5": {"low": 2.5, "high": 1.5},
    }
