"""Numbers in Persian sentences: Persian digits; codes people copy in a left-to-right isolate."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.meter_service.core.display import (
    code_in_sentence,
    code_text,
    format_rial,
    local_digits,
)
from apps.meter_service.doctype.gas_tariff import rules as tariff_rules
from apps.meter_service.doctype.gas_tariff.services import BlockData
from apps.meter_service.doctype.payment import rules as payment_rules
from apps.meter_service.templatetags.meter_tags import localdigits, ltr_code, rial

LRI, PDI = "\u2066", "\u2069"


def test_one_helper_for_templates_sms_and_pdfs():
    with translation.override("fa"):
        assert local_digits(1405) == localdigits(1405) == "۱۴۰۵"
        assert format_rial(1_650_000) == rial(1_650_000) == "۱٬۶۵۰٬۰۰۰"
    with translation.override("en"):
        assert local_digits(1405) == localdigits(1405) == "1405"
        assert format_rial(1_650_000) == rial(1_650_000) == "1,650,000"
    assert local_digits(12, language="fa") == "۱۲"
    assert local_digits(None) == ""


def test_codes_in_a_persian_sentence_are_isolated():
    with translation.override("fa"):
        assert code_text("9345578690") == f"{LRI}۹۳۴-۵۵۷-۸۶۹۰{PDI}"
        assert code_in_sentence("2810231") == f"{LRI}۲۸۱۰۲۳۱{PDI}"
        assert ltr_code("934-557-8690") == f"{LRI}۹۳۴-۵۵۷-۸۶۹۰{PDI}"
    with translation.override("en"):
        assert code_text("9345578690") == "934-557-8690"


def test_block_errors_carry_persian_digits():
    blocks = [BlockData(0, 100, 1000), BlockData(150, None, 2000)]
    with translation.override("fa"), pytest.raises(ValidationError) as error:
        tariff_rules.check_blocks(blocks)
    [message] = error.value.messages
    assert "۲" in message and "۱۰۱" in message
    assert not any(ch.isascii() and ch.isdigit() for ch in message)


def test_gateway_amount_mismatch_in_persian_digits():
    with translation.override("fa"):
        reason = payment_rules.verify_mismatch(
            {"data": {"amount": 1_500_000}}, authority="A1", amount_rial=1_650_000
        )
    assert "۱٬۵۰۰٬۰۰۰" in reason
    assert not any(ch.isascii() and ch.isdigit() for ch in reason)
