"""Defining custom fields and setting a document's values: checked, audited, all or
nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.custom_field import selectors
from apps.meter_service.doctype.custom_field.error_codes import CustomFieldErrorCode as Code
from apps.meter_service.doctype.custom_field.models import CustomField
from apps.meter_service.doctype.custom_field.services import (
    custom_field_create,
    custom_field_update,
    custom_values_clean,
    custom_values_set,
)
from tests.doctype.custom_field.conftest import OPTIONS

pytestmark = pytest.mark.django_db


def test_definition_is_audited_and_its_key_unique_per_target(define):
    field = define("subscriber", "heating", "choice", options=OPTIONS)
    assert DocumentEvent.objects.filter(event_type="custom_field_created").count() == 1
    define("claim", "heating")  # another document type may use the key
    with pytest.raises(ValidationError) as caught:
        define("subscriber", "heating")
    assert caught.value.error_dict["key"][0].code == Code.CUSTOM_KEY_TAKEN
    assert CustomField.objects.count() == 2
    custom_field_update(field=field, actor=None, label_en="Heating fuel", public=True)
    event = DocumentEvent.objects.get(event_type="custom_field_updated")
    assert event.parameters["changes"]["label_en"] == ["Heating", "Heating fuel"]


def test_a_bad_definition_writes_nothing(define):
    with pytest.raises(ValidationError):
        custom_field_create(
            actor=None, target="claim", key="Bad Key", label_fa="", label_en="x", field_type="text"
        )
    assert not CustomField.objects.exists()
    assert not DocumentEvent.objects.exists()


def test_key_type_and_target_are_fixed_once_a_document_holds_a_value(define, make_subscriber):
    field = define("subscriber", "floors", "integer")
    custom_field_update(field=field, actor=None, key="storeys")  # no values yet: allowed
    subscriber = make_subscriber()
    custom_values_set(document=subscriber, target="subscriber", values={"storeys": "۳"}, actor=None)
    for change in ({"key": "levels"}, {"field_type": "decimal"}, {"target": "claim"}):
        with pytest.raises(ValidationError) as caught:
            custom_field_update(field=field, actor=None, **change)
        assert {e.code for e in caught.value.error_dict[next(iter(change))]} == {
            Code.CUSTOM_KEY_IN_USE
        }
    field.refresh_from_db()
    assert (field.key, field.field_type, field.target) == ("storeys", "integer", "subscriber")
    custom_field_update(field=field, actor=None, label_en="Storeys")  # the rest may change


def test_values_set_checks_and_records_changes(define, make_subscriber):
    define("subscriber", "floors", "integer", required=True, min_value=1)
    define("subscriber", "since", "date")
    subscriber = make_subscriber()
    custom_values_set(
        document=subscriber,
        target="subscriber",
        values={"floors": "۲", "since": "۱۴۰۳/۰۱/۰۱"},
        actor=None,
    )
    subscriber.refresh_from_db()
    assert subscriber.custom_fields == {"floors": 2, "since": "2024-03-20"}
    event = DocumentEvent.objects.get(event_type="custom_values_changed")
    assert event.parameters["changes"] == {"floors": [None, 2], "since": [None, "2024-03-20"]}
    for bad in ({"floors": "0"}, {"floors": ""}, {"nope": "1"}):
        with pytest.raises(ValidationError):
            custom_values_set(document=subscriber, target="subscriber", values=bad, actor=None)
    subscriber.refresh_from_db()
    assert subscriber.custom_fields == {"floors": 2, "since": "2024-03-20"}
    assert DocumentEvent.objects.filter(event_type="custom_values_changed").count() == 1


def test_inactive_fields_are_not_asked_for_and_their_values_stay(define):
    field = define("claim", "old", "text", required=True)
    custom_field_update(field=field, actor=None, active=False)
    assert custom_values_clean(target="claim", values={}, current={"old": "x"}) == {"old": "x"}
    with pytest.raises(ValidationError):
        custom_values_clean(target="claim", values={"old": "y"})


def test_export_columns_and_display_values(define):
    define("claim", "fuel", "choice", options=OPTIONS, order=2)
    define("claim", "visited", "boolean", order=1)
    define("claim", "hidden", active=False)
    with translation.override("en"):
        assert selectors.custom_field_columns("claim") == [("visited", "Visited"), ("fuel", "Fuel")]
        assert selectors.display_values("claim", {"fuel": "oil", "visited": True}) == {
            "visited": "Yes",
            "fuel": "Oil",
        }
        assert selectors.display_values("claim", None) == {"visited": "", "fuel": ""}


def test_a_records_display_values_follow_its_type(define, make_subscriber):
    define("subscriber", "since", "date")
    subscriber = make_subscriber()
    custom_values_set(
        document=subscriber, target="subscriber", values={"since": "2024-08-02"}, actor=None
    )
    with translation.override("fa"):
        assert selectors.record_display_values(subscriber) == {"since": "۱۴۰۳/۰۵/۱۲"}
