"""Every audit event type has a translated label, used wherever events are shown."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from apps.meter_service.audit.labels import EVENT_LABELS, event_label

APP = Path(__file__).resolve().parents[2] / "apps" / "meter_service"


def recorded_event_types() -> set[str]:
    """The event types the code records: each quoted name on a line that sets event_type."""
    found = set()
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"\bevent_type\s*=", line):
                found.update(re.findall(r'"([a-z]+(?:_[a-z]+)+)"', line))
    return found


def test_every_recorded_event_type_has_a_label():
    recorded = recorded_event_types()
    assert "payment_paid" in recorded and "claim_filed" in recorded  # the scan finds them
    assert sorted(recorded - set(EVENT_LABELS)) == []


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
