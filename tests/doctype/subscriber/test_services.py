"""Subscriber services: validation, audit, and no half-written rows on bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import identifiers
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.services import (
    subscriber_create,
    subscriber_update,
    subscriber_upsert,
)
from tests.conftest import subscriber_fields


def _counts() -> tuple[int, int]:
    return Subscriber.objects.count(), DocumentEvent.objects.count()


@pytest.mark.django_db
def test_create_records_an_audit_event(make_user):
    actor = make_user("service_desk_clerk")
    subscriber = subscriber_create(actor=actor, **subscriber_fields("1402001"))
    event = DocumentEvent.objects.get(
        content_type__model="subscriber", object_id=str(subscriber.pk)
    )
    assert event.event_type == "subscriber_created" and event.actor == actor


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"national_id": "0012345678"}, "national_id"),  # wrong check digit
        ({"mobile": "08121234567"}, "mobile"),
        ({"bill_id": "140200128131"}, "bill_id"),  # check digit off by one
        ({"bill_id": identifiers.build_bill_id("1402009", "281", 3)}, "bill_id"),  # other file
        ({"bill_id": identifiers.build_bill_id("1402001", "281", 2)}, "bill_id"),  # electricity
        ({"national_id": ""}, "national_id"),  # a citizen without a national id
        ({"customer_type": "g2b"}, "national_legal_id"),  # a business without a legal id
        ({"subscription_number": "12a"}, "subscription_number"),
        ({"postal_code": "123"}, "postal_code"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(overrides, field):
    before = _counts()
    with pytest.raises(ValidationError) as error:
        subscriber_create(**subscriber_fields("1402001", **overrides))
    assert field in error.value.message_dict
    assert _counts() == before


@pytest.mark.django_db
def test_business_has_a_legal_id_and_a_citizen_does_not():
    legal = "1086016275" + str(identifiers.national_legal_id_check_digit("1086016275"))
    subscriber = subscriber_create(
        **subscriber_fields("1402006", customer_type="g2b", national_id="", national_legal_id=legal)
    )
    assert subscriber.national_legal_id == legal
    # A citizen has no legal id: giving one is a mistake worth stopping.
    with pytest.raises(ValidationError) as error:
        subscriber_create(**subscriber_fields("1402007", national_legal_id=legal))
    assert error.value.error_dict["national_legal_id"][0].code == "not_allowed"
    assert Subscriber.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_subscription_number_is_refused(make_subscriber):
    make_subscriber(number="1402001")
    before = _counts()
    with pytest.raises(ValidationError) as error:
        make_subscriber(number="1402001")
    assert "subscription_number" in error.value.message_dict
    assert _counts() == before


@pytest.mark.django_db
def test_update_records_what_changed(make_subscriber):
    subscriber = make_subscriber(number="1402001")
    subscriber_update(subscriber=subscriber, mobile="09351112233", city="قزوین")
    event = DocumentEvent.objects.filter(event_type="subscriber_updated").get()
    assert event.parameters["changes"] == {"mobile": ["09121234567", "09351112233"]}


@pytest.mark.django_db
def test_update_without_change_writes_nothing(make_subscriber):
    subscriber = make_subscriber(number="1402001")
    before = _counts()
    subscriber_update(subscriber=subscriber, mobile=subscriber.mobile)
    assert _counts() == before


@pytest.mark.django_db
def test_bad_update_leaves_the_row_as_it_was(make_subscriber):
    subscriber = make_subscriber(number="1402001")
    with pytest.raises(ValidationError):
        subscriber_update(subscriber=subscriber, mobile="12345")
    subscriber.refresh_from_db()
    assert subscriber.mobile == "09121234567"


@pytest.mark.django_db
def test_upsert_creates_then_updates():
    subscriber_upsert(**subscriber_fields("1402001"))
    subscriber_upsert(**subscriber_fields("1402001", name="سارا محمدی نیا"))
    assert Subscriber.objects.get().name == "سارا محمدی نیا"


@pytest.mark.django_db
def test_company_code_setting_restricts_bill_ids(settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "GAS_COMPANY_CODE": "282"}
    with pytest.raises(ValidationError) as error:
        subscriber_create(**subscriber_fields("1402001"))
    assert error.value.error_dict["bill_id"][0].code == "bill_id_company"
