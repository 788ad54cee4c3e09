"""Record rules: who sees which records, the same for desk, portal and API."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from apps.meter_service import permissions
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.custom_field.models import CustomField
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role


@pytest.fixture
def two_subscribers(make_user, installed, make_subscriber):
    """Subscriber A (with a meter) and B, each with their own portal account."""
    a, b = installed.subscriber, make_subscriber()
    user_a, user_b = make_user(Role.SUBSCRIBER), make_user(Role.SUBSCRIBER)
    subscriber_update(subscriber=a, user=user_a)
    subscriber_update(subscriber=b, user=user_b)
    return a, b, user_a, user_b


def test_subscriber_sees_only_own_records(two_subscribers):
    a, _b, user_a, _ = two_subscribers
    assert list(permissions.scope(user_a, Subscriber.objects.all())) == [a]
    assert list(permissions.scope(user_a, Meter.objects.all())) == [a.installations.get().meter]
    assert permissions.scope(user_a, MeterInstallation.objects.all()).count() == 1
    assert permissions.scope(user_a, CounterOffice.objects.all()).count() == 0


def test_other_subscribers_record_is_404_not_403(two_subscribers):
    a, b, user_a, _ = two_subscribers
    assert permissions.access(user_a, Subscriber.objects.all(), a.pk) == a
    with pytest.raises(Http404):
        permissions.access(user_a, Subscriber.objects.all(), b.pk)
    with pytest.raises(Http404):
        permissions.access(user_a, Subscriber.objects.all(), 999_999)
    with pytest.raises(Http404):
        permissions.access(user_a, Subscriber.objects.all(), "not-a-number")


def test_office_operator_sees_only_own_office(make_user, make_office):
    operator_x, operator_y = (
        make_user(Role.COUNTER_OFFICE_OPERATOR),
        make_user(Role.COUNTER_OFFICE_OPERATOR),
    )
    office_x, office_y = make_office(), make_office()
    office_set_operators(office=office_x, users=[operator_x])
    office_set_operators(office=office_y, users=[operator_y])
    assert list(permissions.scope(operator_x, CounterOffice.objects.all())) == [office_x]
    with pytest.raises(Http404):
        permissions.access(operator_x, CounterOffice.objects.all(), office_y.pk)
    assert permissions.scope(operator_x, Subscriber.objects.all()).count() == 0


def test_agency_and_roleless_users_see_nothing_by_default(make_user, installed, django_user_model):
    agency = make_user(Role.AGENCY_CLIENT)
    nobody = django_user_model.objects.create_user("nobody")
    for user in (agency, nobody):
        for model in (Subscriber, Meter, MeterInstallation, CounterOffice):
            assert permissions.scope(user, model.objects.all()).count() == 0


@pytest.mark.parametrize("role", sorted(permissions.DESK_ROLES))
def test_company_staff_see_all_records(make_user, installed, make_subscriber, role):
    make_subscriber()
    user = make_user(role)
    assert permissions.scope(user, Subscriber.objects.all()).count() == 2


def test_inactive_staff_see_nothing(make_user, installed):
    user = make_user(Role.SERVICE_MANAGER)
    user.is_active = False
    user.save()
    assert not permissions.can_use_desk(user)
    assert permissions.scope(user, Subscriber.objects.all()).count() == 0


def test_office_operators_must_hold_the_operator_role(make_user, make_office):
    from django.core.exceptions import ValidationError

    office = make_office()
    with pytest.raises(ValidationError):
        office_set_operators(office=office, users=[make_user(Role.TECHNICIAN)])
    assert office.users.count() == 0


def test_call_centre_files_by_phone_but_not_in_person(make_user):
    operator = make_user(Role.CALL_CENTRE_OPERATOR)
    assert permissions.can_use_desk(operator)
    assert operator.has_perm("meter_service.file_phone_claim")
    assert operator.has_perm("meter_service.view_claim")
    assert not operator.has_perm("meter_service.add_claim")
    assert not operator.has_perm("meter_service.change_claim")
    # Complaints taken by phone: the call centre logs and sees them, does not handle them.
    assert operator.has_perm("meter_service.add_complaint")
    assert operator.has_perm("meter_service.view_complaint")
    assert not operator.has_perm("meter_service.change_complaint")
    for role in set(Role) - {Role.CALL_CENTRE_OPERATOR}:
        assert not make_user(role).has_perm("meter_service.file_phone_claim"), role


# Rule settings: the service manager and the system administrator see and change them in the
# desk; other staff do not see them (they work by the rules, they do not set them), and
# outside roles never reach the desk.
RULE_SETTING_EDITORS = {Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN}


@pytest.mark.parametrize("role", sorted(Role))
def test_rule_settings_by_role(client, make_user, role):
    from django.urls import reverse

    from apps.meter_service.doctype.rule_setting.models import RuleSettingChange

    user = make_user(role)
    may = role in RULE_SETTING_EDITORS
    assert permissions.may_change_rule_settings(user) is may
    assert user.has_perm("meter_service.view_rulesettingchange") is may
    client.force_login(user)
    overview = client.get(reverse("admin:meter_service_rulesettingchange_changelist"))
    rule_page = reverse("admin:meter_service_rulesettingchange_rule", args=["PAYMENT_EXPIRY_DAYS"])
    assert (overview.status_code == 200) is may
    assert (client.get(rule_page).status_code == 200) is may
    posted = client.post(rule_page, {"value": "10", "reason": "test"})
    assert posted.status_code in ((302,) if may else (302, 403))
    assert RuleSettingChange.objects.exists() is may


# Custom fields: the service manager and the system administrator define them in the desk;
# other staff do not see the definitions, and outside roles never reach the desk.
CUSTOM_FIELD_DEFINERS = {Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN}


@pytest.mark.parametrize("role", sorted(Role))
def test_custom_field_definitions_by_role(client, make_user, role):
    user = make_user(role)
    may = role in CUSTOM_FIELD_DEFINERS
    assert permissions.may_define_custom_fields(user) is may
    assert user.has_perm("meter_service.add_customfield") is may
    client.force_login(user)
    add = client.post(
        reverse("admin:meter_service_customfield_add"),
        {
            "target": "claim",
            "key": "visited",
            "field_type": "boolean",
            "order": "0",
            "label_fa": "بازدید شد",
            "label_en": "Visited",
            "_save": "1",
        },
    )
    assert add.status_code in ((302,) if may else (302, 403))
    assert CustomField.objects.exists() is may
