"""Every audit event type has a translated label, used wherever events are shown."""

from __future__ import annotations

from django.utils import translation

from apps.meter_service.audit.event_types import EVENT_ENUMS
from apps.meter_service.audit.labels import EVENT_LABELS, event_label


def test_every_event_type_of_the_enums_has_its_label():
    # The enums are the only source (tests/test_error_codes.py refuses a literal event type).
    members = {member.value: member.label for enum in EVENT_ENUMS for member in enum}
    assert "payment_paid" in members and "claim_filed" in members
    assert members == EVENT_LABELS


def _in(language: str, label) -> str:
    with translation.override(language):
        return str(label)


def test_every_label_is_translated_to_persian():
    untranslated = [
        code for code, label in EVENT_LABELS.items() if _in("fa", label) == _in("en", label)
    ]
    assert untranslated == []


def test_an_unknown_code_is_shown_as_it_is():
    assert event_label("some_future_event") == "some_future_event"
    with translation.override("fa"):
        assert event_label("payment_paid") != "payment_paid"


def test_an_events_name_uses_its_label():
    from apps.meter_service.audit.models import DocumentEvent

    event = DocumentEvent(object_repr="1234567890", event_type="payment_paid")
    with translation.override("fa"):
        assert str(event) == f"1234567890: {event_label('payment_paid')}"
        assert "payment_paid" not in str(event)
