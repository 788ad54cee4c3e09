"""Notification rules: what a process event sends, to whom, when (Frappe's Notification)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.notification import rules, services
from apps.meter_service.doctype.notification.error_codes import NotificationErrorCode
from apps.meter_service.doctype.notification.models import (
    CONDITION_HELP,
    MessageTemplate,
    NotificationDispatch,
    NotificationRule,
    SmsMessage,
)
from apps.meter_service.permissions import Role

PAID_TEXT = "هزینهٔ درخواست {tracking_code} رسید؛ پرسش: ۱۹۴"


def rule_fields(**overrides) -> dict:
    fields = {
        "name": "پیامک ویژهٔ پرداخت",
        "event": rules.CLAIM_PAID,
        "send_sms": True,
        "send_email": False,
        "recipients": rules.RECIPIENT_SUBSCRIBER,
        "role": "",
        "condition": "",
        "body_fa": PAID_TEXT,
        "body_en": "",
    }
    return {**fields, **overrides}


def codes(error: ValidationError, field: str) -> set[str]:
    return {e.code for e in error.error_dict[field]}


# --- checks at save (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"body_fa": "پرداخت {name}"}, "body_fa", NotificationErrorCode.UNKNOWN_PLACEHOLDER),
        ({"body_en": "Paid {amount:,}"}, "body_en", NotificationErrorCode.BAD_PLACEHOLDER),
        ({"body_fa": "پرداخت {tracking_code"}, "body_fa", NotificationErrorCode.UNMATCHED_BRACE),
        ({"body_fa": "  "}, "body_fa", NotificationErrorCode.RULE_TEXT),
        # visit_time is given at the visit, not at the payment
        ({"body_fa": "{visit_time}"}, "body_fa", NotificationErrorCode.UNKNOWN_PLACEHOLDER),
        ({"condition": "total_fee >"}, "condition", NotificationErrorCode.RULE_CONDITION),
        ({"condition": "claim.__class__"}, "condition", NotificationErrorCode.RULE_CONDITION),
        ({"condition": "__import__('os')"}, "condition", NotificationErrorCode.RULE_CONDITION),
        ({"condition": "verdict == 'faulty'"}, "condition", NotificationErrorCode.RULE_CONDITION),
        ({"send_sms": False}, "send_sms", NotificationErrorCode.RULE_NO_CHANNEL),
        ({"recipients": rules.RECIPIENT_ROLE}, "role", NotificationErrorCode.RULE_ROLE),
        ({"role": Role.TECHNICIAN}, "role", NotificationErrorCode.RULE_ROLE),
        (
            {"recipients": rules.RECIPIENT_ASSIGNEE, "send_email": True},
            "send_sms",
            NotificationErrorCode.RULE_STAFF_SMS,
        ),
    ],
)
def test_a_rule_that_could_not_send_is_refused(overrides, field, code):
    fields = rule_fields(**overrides)
    fields.pop("name")

    with pytest.raises(ValidationError) as refused:
        rules.check_rule(**fields)

    assert code in codes(refused.value, field)


def test_the_test_result_gives_its_verdict_to_conditions_and_texts():
    fields = rule_fields(
        event=rules.TEST_RESULT,
        body_fa="{tracking_code}: {verdict}",
        condition="verdict == 'faulty' and error_percent > 4",
    )
    fields.pop("name")

    rules.check_rule(**fields)  # no error


def test_persian_digits_in_a_condition_are_read_outside_quotes():
    assert rules.normalize_condition(" total_fee > ۱۲۰۰٬۰۰۰ ") == "total_fee > 1200٬000"
    assert rules.normalize_condition("total_fee >= ٥٠٠") == "total_fee >= 500"
    assert rules.normalize_condition("reason == '۱۲'") == "reason == '۱۲'"


def test_conditions_hold_or_not_over_the_facts():
    assert rules.condition_holds("", {})
    assert rules.condition_holds("total_fee > 1000", {"total_fee": 5000})
    assert not rules.condition_holds("total_fee > 1000", {"total_fee": 10})
    # None compared with a number: the rule does not send rather than fail the job
    assert not rules.condition_holds("error_percent > 4", {"error_percent": None})


def test_the_form_help_names_the_facts_conditions_read():
    help_text = str(CONDITION_HELP)
    for name in rules.CLAIM_FACTS | rules.COMPLAINT_FACTS:
        assert name in help_text, name
    for names in rules.EVENT_FACTS.values():
        for name in names:
            assert name in help_text, name


# --- the service: saved, audited, refused ------------------------------------------------------


def test_a_rule_is_saved_with_latin_digits_in_its_condition_and_audited(db, admin_user):
    rule = services.notification_rule_create(
        actor=admin_user, **rule_fields(condition="total_fee > ۱۰۰۰")
    )

    assert rule.condition == "total_fee > 1000"
    assert rule.body_fa == PAID_TEXT  # the text keeps the digits typed
    services.notification_rule_update(rule=rule, actor=admin_user, is_active=False)
    kinds = list(
        DocumentEvent.objects.filter(object_id=str(rule.pk)).values_list("event_type", flat=True)
    )
    assert sorted(kinds) == ["notification_rule_created", "notification_rule_updated"]


def test_a_bad_rule_writes_nothing(db, admin_user):
    with pytest.raises(ValidationError) as refused:
        services.notification_rule_create(actor=admin_user, **rule_fields(condition="x ** 2"))

    assert "condition" in refused.value.error_dict
    assert not NotificationRule.objects.exists()
    assert not DocumentEvent.objects.filter(event_type="notification_rule_created").exists()


# --- dispatch at the event --------------------------------------------------------------------


@pytest.fixture
def no_shipped_rules(roles):
    """The shipped rules off: only the test's rule sends."""
    NotificationRule.objects.exclude(message_key="").update(is_active=False)


def paid(claim, django_capture_on_commit_callbacks, actor=None):
    with django_capture_on_commit_callbacks(execute=True):
        claim_mark_paid(claim=claim, reference="gw:rule", actor=actor)


def test_a_rule_texts_the_subscriber_at_its_event(
    no_shipped_rules, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    services.notification_rule_create(**rule_fields(condition="total_fee > 1000"))
    claim = make_claim(contact_mobile="09351112233")

    paid(claim, django_capture_on_commit_callbacks)

    [sms] = fake_sms.messages("09351112233")
    code = to_persian_digits(tracking.display(claim.tracking_code))
    assert code in sms["message"] and "پرسش: ۱۹۴" in sms["message"]
    assert SmsMessage.objects.get(claim=claim).template_key == rules.CLAIM_PAID


def test_a_rule_whose_condition_does_not_hold_sends_nothing(
    no_shipped_rules, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    services.notification_rule_create(**rule_fields(condition="total_fee > 10000000000"))
    services.notification_rule_create(
        **rule_fields(name="تنها تلفنی", condition="channel == 'phone'")
    )
    claim = make_claim()

    paid(claim, django_capture_on_commit_callbacks)

    assert fake_sms.messages() == []
    assert not SmsMessage.objects.exists()


def test_an_inactive_rule_sends_nothing(
    no_shipped_rules, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    rule = services.notification_rule_create(**rule_fields())
    services.notification_rule_update(rule=rule, is_active=False)
    claim = make_claim()

    paid(claim, django_capture_on_commit_callbacks)

    assert fake_sms.messages() == []


def test_a_role_rule_emails_that_roles_staff(
    no_shipped_rules, make_user, make_claim, django_capture_on_commit_callbacks
):
    manager = make_user(Role.SERVICE_MANAGER, email="manager@gas.example")
    make_user(Role.TECHNICIAN, email="tech@gas.example")
    services.notification_rule_create(
        **rule_fields(
            recipients=rules.RECIPIENT_ROLE,
            role=Role.SERVICE_MANAGER,
            send_sms=False,
            send_email=True,
        )
    )
    claim = make_claim()
    mail.outbox.clear()

    paid(claim, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == [manager.email]
    assert claim.tracking_code in email.subject
    assert to_persian_digits(tracking.display(claim.tracking_code)) in email.body
    assert not SmsMessage.objects.exists()


def test_an_assignee_rule_emails_who_did_the_step(
    no_shipped_rules, make_user, make_claim, django_capture_on_commit_callbacks
):
    clerk = make_user(Role.SERVICE_DESK_CLERK, email="clerk@gas.example")
    make_user(Role.SERVICE_DESK_CLERK, email="other@gas.example")
    services.notification_rule_create(
        **rule_fields(
            recipients=rules.RECIPIENT_ASSIGNEE,
            send_sms=False,
            send_email=True,
            condition="by_staff",
        )
    )
    claim = make_claim()
    mail.outbox.clear()

    paid(claim, django_capture_on_commit_callbacks, actor=clerk)

    assert [email.to for email in mail.outbox] == [[clerk.email]]


def test_an_assignee_rule_sends_nothing_when_nobody_did_the_step(
    no_shipped_rules, make_claim, django_capture_on_commit_callbacks
):
    services.notification_rule_create(
        **rule_fields(recipients=rules.RECIPIENT_ASSIGNEE, send_sms=False, send_email=True)
    )
    claim = make_claim()
    mail.outbox.clear()

    paid(claim, django_capture_on_commit_callbacks)  # the bank's callback: no staff

    assert mail.outbox == []


def test_a_retried_event_sends_once(
    no_shipped_rules, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    services.notification_rule_create(
        **rule_fields(event=rules.VISIT_SCHEDULED, body_fa="بازدید {date} {visit_time}")
    )
    claim = make_claim()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify_claim(
            claim_id=claim.pk, event=rules.VISIT_SCHEDULED, facts={"occurrence": "visit-1"}
        )
        again = services.notify_claim(
            claim_id=claim.pk, event=rules.VISIT_SCHEDULED, facts={"occurrence": "visit-1"}
        )
        later = services.notify_claim(
            claim_id=claim.pk, event=rules.VISIT_SCHEDULED, facts={"occurrence": "visit-2"}
        )

    assert first is not None and again is not None and first.pk == again.pk
    assert later is not None and later.pk != first.pk  # a second visit is a new occurrence
    assert len(fake_sms.messages()) == 2
    assert NotificationDispatch.objects.count() == 2


def test_the_shipped_rules_cover_every_step_a_subscriber_hears_about(roles):
    shipped = dict(
        NotificationRule.objects.exclude(message_key="").values_list("event", "message_key")
    )
    assert set(shipped) == set(rules.RULE_EVENTS) - {rules.SLA_AT_RISK}
    assert all(event == key for event, key in shipped.items())
    assert services.notification_rules_ensure_defaults() == []  # a reload adds none


# --- the desk ---------------------------------------------------------------------------------


def test_a_rule_added_in_the_desk_sends_its_sms_at_the_event(
    client, no_shipped_rules, make_user, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    manager = make_user(Role.SERVICE_MANAGER)
    client.force_login(manager)
    form = {
        **rule_fields(condition="total_fee > ۰ and channel != 'phone'"),
        "send_sms": "on",
        "is_active": "on",
        "_save": "1",
    }
    del form["send_email"]

    refused = client.post(
        reverse("admin:meter_service_notificationrule_add"), {**form, "body_fa": "{who}"}
    )
    assert refused.status_code == 200
    assert "body_fa" in refused.context["adminform"].form.errors
    assert not NotificationRule.objects.filter(message_key="").exists()
    saved = client.post(reverse("admin:meter_service_notificationrule_add"), form)
    assert saved.status_code == 302
    rule = NotificationRule.objects.get(message_key="", name=form["name"])
    assert rule.condition == "total_fee > 0 and channel != 'phone'"
    assert DocumentEvent.objects.filter(
        object_id=str(rule.pk), event_type="notification_rule_created", actor=manager
    ).exists()
    claim = make_claim(contact_mobile="09351112233")

    paid(claim, django_capture_on_commit_callbacks)

    [sms] = fake_sms.messages("09351112233")
    assert "پرسش: ۱۹۴" in sms["message"]
    page = client.get(reverse("admin:meter_service_notificationrule_change", args=[rule.pk]))
    assert page.status_code == 200
    assert "{amount}, {date}, {tracking_code}" in page.content.decode()


def test_the_migration_gives_a_site_with_templates_the_shipped_rules(roles):
    migration = importlib.import_module("apps.meter_service.migrations.0023_notification_rules")
    NotificationRule.objects.filter(message_key="claim_paid").delete()
    MessageTemplate.objects.filter(key="claim_closed").delete()
    NotificationRule.objects.filter(message_key="claim_closed").delete()

    migration.shipped_rules(django_apps, None)

    assert NotificationRule.objects.filter(message_key="claim_paid", is_active=True).exists()
    # no template, no rule: it would send nothing
    assert not NotificationRule.objects.filter(message_key="claim_closed").exists()
