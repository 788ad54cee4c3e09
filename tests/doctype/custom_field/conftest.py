"""Custom field definitions the tests of this folder share."""

from __future__ import annotations

import pytest

from apps.meter_service.doctype.custom_field.services import custom_field_create

OPTIONS = [
    {"value": "gas", "label_fa": "گاز", "label_en": "Gas"},
    {"value": "oil", "label_fa": "نفت", "label_en": "Oil"},
]


@pytest.fixture
def define(db):
    """Return a factory: define(target, key, type, **options) -> a saved custom field."""

    def make(target: str, key: str, field_type: str = "text", **extra):
        values = {"label_fa": f"فیلد {key}", "label_en": key.title(), **extra}
        return custom_field_create(
            actor=None, target=target, key=key, field_type=field_type, **values
        )

    return make
