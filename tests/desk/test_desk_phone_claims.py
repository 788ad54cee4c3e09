"""Claims taken by phone at the call centre: the caller names and proves the subscription,
and the claim is filed on the phone channel through the same filing service."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import (
    build_payment_id,
    national_legal_id_check_digit,
    to_persian_digits,
)
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.forms import CALLER_NO_MATCH_MESSAGES, CALLER_PROOF_MESSAGE
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.permissions import Role

PHONE = reverse("admin:meter_service_claim_phone")


def fa(message) -> str:
    with translation.override("fa"):
        return str(message)


@pytest.fixture
def call_centre(client, make_user):
    operator = make_user(Role.CALL_CENTRE_OPERATOR)
    client.force_login(operator)
    client.operator = operator
    return client


def _call(subscriber, **overrides) -> dict:
    data = {
        "subscriber_identifier": to_persian_digits(subscriber.subscription_number),
        "caller_proof": to_persian_digits(subscriber.national_id),
        "reason": "fast",
        "reason_text": "",
        "last_reading": "۸۵۰",
        "last_reading_date": format_date(timezone.localdate()),
        "last_bill_id": subscriber.bill_id,
        "last_payment_id": build_payment_id(subscriber.bill_id, 2_350_000, 5, 6),
        "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷",
        "preferred_visit": "any",
        "payment_method": "next_bill",
        "_file": "1",
    }
    data.update(overrides)
    return data


def test_operator_files_a_phone_claim_charged_to_the_next_bill(call_centre, installed, tariffs):
    response = call_centre.post(PHONE, _call(installed.subscriber))
    assert response.status_code == 302, response.context["form"].errors
    claim = Claim.objects.get()
    assert (claim.channel, claim.payment_method) == ("phone", "next_bill")
    assert claim.subscriber == installed.subscriber
    assert claim.filed_by == call_centre.operator
    assert claim.status == ClaimStatus.PAID  # on the bill: goes ahead at once
    assert DocumentEvent.objects.filter(event_type="claim_filed").count() == 1
    assert response["Location"] == reverse("admin:meter_service_claim_change", args=[claim.pk])


def test_caller_may_prove_with_the_bill_id_and_the_mobile_on_file(call_centre, installed, tariffs):
    subscriber = installed.subscriber
    data = _call(
        subscriber,
        subscriber_identifier=f"\u200f0{to_persian_digits(subscriber.bill_id)}",
        caller_proof="+98 912 123 4567",
    )
    assert call_centre.post(PHONE, data).status_code == 302
    assert Claim.objects.get().channel == "phone"


def test_a_business_caller_proves_with_its_national_legal_id(
    call_centre, make_subscriber, make_meter, tariffs
):
    import datetime
    from decimal import Decimal

    from apps.meter_service.doctype.meter.services import meter_install

    legal_id = "1086016275" + str(national_legal_id_check_digit("1086016275"))
    subscriber = make_subscriber(customer_type="g2b", national_id="", national_legal_id=legal_id)
    meter_install(
        subscriber=subscriber,
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    response = call_centre.post(PHONE, _call(subscriber, caller_proof=legal_id))
    assert response.status_code == 302
    assert Claim.objects.get().subscriber == subscriber


@pytest.mark.parametrize(
    ("proof", "kind"),
    [
        ("0912 765 4321", "mobile"),  # not the mobile on file
        ("0499370899", "national_id"),  # someone else's national ID
        ("10380284790", "national_legal_id"),  # a legal ID that is not this one's
    ],
)
def test_a_wrong_proof_is_refused_naming_what_was_given(
    call_centre, installed, tariffs, proof, kind
):
    response = call_centre.post(PHONE, _call(installed.subscriber, caller_proof=proof))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [fa(CALLER_NO_MATCH_MESSAGES[kind])]
    assert not Claim.objects.exists()


def test_an_unknown_subscription_reads_the_same_as_a_wrong_proof(call_centre, installed, tariffs):
    """Whether the number or the proof is wrong is not told apart, as at the counter."""
    response = call_centre.post(PHONE, _call(installed.subscriber, subscriber_identifier="9999"))
    assert response.context["form"].non_field_errors() == [
        fa(CALLER_NO_MATCH_MESSAGES["national_id"])
    ]


def test_proof_that_is_no_identifier_at_all_is_refused(call_centre, installed, tariffs):
    response = call_centre.post(PHONE, _call(installed.subscriber, caller_proof="12345"))
    assert response.context["form"].errors["caller_proof"] == [fa(CALLER_PROOF_MESSAGE)]


def test_fee_preview_and_only_the_next_bill_is_offered(call_centre, installed, tariffs):
    data = _call(installed.subscriber)
    data.pop("_file")
    data["_preview"] = "1"
    response = call_centre.post(PHONE, data)
    assert response.context["quote"].total == 1_650_000
    assert [value for value, _ in response.context["form"].fields["payment_method"].choices] == [
        "next_bill"
    ]
    refused = call_centre.post(PHONE, _call(installed.subscriber, payment_method="in_person"))
    assert "payment_method" in refused.context["form"].errors
    assert not Claim.objects.exists()


def test_the_call_centre_cannot_file_in_person(call_centre, installed, tariffs):
    assert call_centre.get(reverse("admin:meter_service_claim_intake")).status_code == 403
